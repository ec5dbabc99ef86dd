//! A bulk operation's JSONL result on local disk: streamed from its signed URL into a
//! temporary file (never held in memory whole), indexed by where each root record
//! and each child line is, and read back a page of root records at a time with their
//! children stitched in by `__parentId` (`{"lineItems": {"nodes": [...]}}`).
//!
//! Stitching is textual: each line is split into its top-level fields as borrowed
//! slices of the line (no `Value` tree is built) and the record's JSON is written out
//! with its children's text in place, to be decoded once into the wire types. Only
//! a record holding lists whose connections a bulk query cannot carry (an order's
//! refunds and fulfillments) is completed through `Value` afterwards.
//!
//! The index does not depend on line order: since 2026-01 Shopify does not group
//! children under their parents (`groupObjects: false`), so a child may come before
//! or long after its parent, and siblings in any order; ungrouped children are put
//! back in id order. Memory is two small spans per line; the records stay on disk.
//! The file is deleted when the `BulkFile` is dropped.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use polycart_kit::model::Entity;
use polycart_kit::{Error, Result};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::graphql::queries::{self, Sel};

/// Where one line is in the file.
#[derive(Debug, Clone, Copy)]
struct Span {
    offset: u64,
    len: u32,
    /// 1-based, for errors.
    line: u32,
}

/// A temporary file removed on drop.
#[derive(Debug)]
struct TempPath(PathBuf);

/// What the files are called (`{PREFIX}{pid}-{n}.jsonl`).
const PREFIX: &str = "polycart-shopify-bulk-";

/// Results older than this are past Shopify's week: left by a process that died.
const STALE: std::time::Duration = std::time::Duration::from_secs(8 * 24 * 3600);

/// Removes result files a crashed process left behind (once per process).
fn sweep_stale(dir: &std::path::Path) {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE);
            if old && entry.file_name().to_string_lossy().starts_with(PREFIX) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    });
}

impl TempPath {
    fn create() -> Result<(Self, File)> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir();
        sweep_stale(&dir);
        let name = format!(
            "{PREFIX}{}-{}.jsonl",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .open(&path)
            .map_err(io_error)?;
        Ok((Self(path), file))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn io_error(e: std::io::Error) -> Error {
    Error::Transport {
        message: format!("bulk result file: {e}"),
        timeout: false,
    }
}

/// A downloaded, indexed bulk result.
#[derive(Debug)]
pub(crate) struct BulkFile {
    path: TempPath,
    entity: Entity,
    /// Children came grouped under their parent, in their connection's order.
    grouped: bool,
    roots: Vec<Span>,
    /// For root `i`, its children are `children[starts[i]..starts[i + 1]]`, grouped
    /// by connection in the selection's order.
    starts: Vec<u32>,
    children: Vec<Child>,
}

/// A child line: where it is and which of the root's connections it belongs to.
#[derive(Debug, Clone, Copy)]
struct Child {
    span: Span,
    /// Index into the entity's connections ([`connections`]).
    conn: u16,
}

/// A root record's JSON with its children stitched in.
#[derive(Debug)]
pub(crate) struct Stitched {
    pub(crate) text: Box<RawValue>,
    /// It holds list items whose connections the bulk query could not carry: to be
    /// completed with further reads.
    pub(crate) incomplete: bool,
}

/// The fields of a line the index reads.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "__parentId")]
    parent: Option<Cow<'a, str>>,
    /// Nodes without an id (discount applications) name their type.
    #[serde(borrow, default, rename = "__typename")]
    typename: Option<Cow<'a, str>>,
    /// And their place.
    #[serde(default)]
    index: Option<u64>,
}

/// A line's top-level fields, in order, as slices of the line.
struct Fields<'a>(Vec<(&'a str, &'a RawValue)>);

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Each;
        impl<'de> Visitor<'de> for Each {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Fields<'de>, A::Error> {
                let mut out = Vec::new();
                // Keys are GraphQL field names: never escaped, so borrowed as they are.
                while let Some(entry) = map.next_entry::<&'de str, &'de RawValue>()? {
                    out.push(entry);
                }
                Ok(Fields(out))
            }
        }
        d.deserialize_map(Each)
    }
}

/// The connections of an entity's records, in the selection's order.
fn connections(selection: &'static [Sel]) -> Vec<&'static queries::Conn> {
    selection
        .iter()
        .filter_map(|f| match f {
            Sel::Conn(c) => Some(c),
            _ => None,
        })
        .collect()
}

/// Whether a selection holds a connection somewhere under a list (bulk queries
/// cannot carry those: they are completed after the export).
fn conn_under_list(fields: &[Sel], in_list: bool) -> bool {
    fields.iter().any(|f| match f {
        Sel::Scalar(_) => false,
        Sel::Conn(c) => in_list || conn_under_list(&c.nodes, in_list),
        Sel::Object(_, inner) | Sel::On(_, inner) => conn_under_list(inner, in_list),
        Sel::List(_, inner) => conn_under_list(inner, true),
    })
}

/// The top-level fields of a record that, when not empty, need completing.
fn completable(selection: &'static [Sel]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for f in selection {
        match f {
            Sel::List(name, inner) if conn_under_list(inner, true) => out.push(*name),
            Sel::Object(name, inner) if conn_under_list(inner, false) => out.push(*name),
            Sel::On(_, inner) => out.extend(completable(inner)),
            _ => {}
        }
    }
    out
}

/// A node's place among its siblings: its GID's numeric part, or (nodes without an
/// id) its `index`.
fn numeric_id(h: &Head<'_>) -> u64 {
    h.id.as_deref()
        .and_then(|id| id.rsplit('/').next())
        .and_then(|n| n.split('?').next())
        .and_then(|n| n.parse().ok())
        .or(h.index)
        .unwrap_or(u64::MAX)
}

/// Calls `each(span, line)` for every non-empty line of `file`.
fn lines(file: &File, mut each: impl FnMut(Span, &[u8]) -> Result<()>) -> Result<()> {
    let mut reader = BufReader::with_capacity(1 << 16, file);
    reader.seek(SeekFrom::Start(0)).map_err(io_error)?;
    let mut buf = Vec::new();
    let mut offset = 0u64;
    let mut line = 0u32;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(io_error)?;
        if n == 0 {
            return Ok(());
        }
        line += 1;
        let text = buf.trim_ascii_end();
        if !text.trim_ascii_start().is_empty() {
            let len = u32::try_from(text.len())
                .map_err(|_| Error::decode(format!("line {line}"), "a line over 4 GiB"))?;
            each(Span { offset, len, line }, text)?;
        }
        offset += n as u64;
    }
}

fn head(span: Span, text: &[u8]) -> Result<Head<'_>> {
    serde_json::from_slice(text).map_err(|e| {
        Error::decode(
            format!("line {}", span.line),
            format!("{e} (is the bulk result truncated?)"),
        )
    })
}

impl BulkFile {
    /// Streams `response`'s body into a temporary file.
    pub(crate) async fn download(
        entity: Entity,
        grouped: bool,
        mut response: reqwest::Response,
    ) -> Result<Self> {
        let (path, file) = TempPath::create()?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        let read_error = |e: reqwest::Error| Error::Transport {
            timeout: e.is_timeout(),
            message: format!("bulk download failed: {}", e.without_url()),
        };
        while let Some(chunk) = response.chunk().await.map_err(read_error)? {
            out.write_all(&chunk).map_err(io_error)?;
        }
        out.flush().map_err(io_error)?;
        Ok(Self::unindexed(path, entity, grouped))
    }

    fn unindexed(path: TempPath, entity: Entity, grouped: bool) -> Self {
        Self {
            path,
            entity,
            grouped,
            roots: Vec::new(),
            starts: vec![0],
            children: Vec::new(),
        }
    }

    /// A result already on disk (tests, fixtures).
    #[cfg(test)]
    fn from_text(entity: Entity, grouped: bool, text: &str) -> Result<Self> {
        let (path, mut file) = TempPath::create()?;
        file.write_all(text.as_bytes()).map_err(io_error)?;
        Ok(Self::unindexed(path, entity, grouped))
    }

    fn open(&self) -> Result<File> {
        File::open(&self.path.0).map_err(io_error)
    }

    /// Indexes the file: roots in file order, each child under its root and
    /// connection (ungrouped children in id order). Checks the line count against the
    /// operation's `objectCount` (a short file is a cut download, worth another try).
    /// Blocking: run it off the async threads.
    pub(crate) fn index(mut self, object_count: Option<u64>) -> Result<Self> {
        let file = self.open()?;
        let mut root_of: HashMap<Box<str>, u32> = HashMap::new();
        let mut roots = Vec::new();
        let mut objects = 0u64;
        lines(&file, |span, text| {
            objects += 1;
            let h = head(span, text)?;
            if h.parent.is_none() {
                let n = u32::try_from(roots.len()).map_err(|_| {
                    Error::decode(format!("line {}", span.line), "over 4 billion records")
                })?;
                if let Some(id) = h.id {
                    root_of.insert(id.into(), n);
                }
                roots.push(span);
            }
            Ok(())
        })?;
        if let Some(expected) = object_count.filter(|&n| n != objects) {
            return Err(Error::Transport {
                message: format!(
                    "bulk result has {objects} of its {expected} objects: the download was cut short"
                ),
                timeout: false,
            });
        }
        let selection = queries::selection(self.entity);
        let conns = connections(selection);
        // (root, connection, place, child)
        let mut children: Vec<(u32, u16, u64, Child)> = Vec::new();
        lines(&file, |span, text| {
            let h = head(span, text)?;
            let Some(parent) = h.parent.as_deref() else {
                return Ok(());
            };
            let at = || format!("line {}", span.line);
            let root = *root_of.get(parent).ok_or_else(|| {
                Error::decode(
                    at(),
                    format!("__parentId {parent} is not a record of this export"),
                )
            })?;
            // Its type from its GID, or (nodes without an id) from `__typename`.
            let ty =
                h.id.as_deref()
                    .and_then(|id| id.strip_prefix("gid://shopify/"))
                    .and_then(|rest| rest.split('/').next())
                    .or(h.typename.as_deref())
                    .unwrap_or_default();
            let conn = conns
                .iter()
                .position(|c| c.types.contains(&ty))
                .and_then(|i| u16::try_from(i).ok())
                .ok_or_else(|| {
                    Error::decode(
                        at(),
                        format!("a {ty:?} line has no place in a {}", self.entity),
                    )
                })?;
            // Grouped children keep their file order (the merchant's).
            let place = if self.grouped { 0 } else { numeric_id(&h) };
            children.push((root, conn, place, Child { span, conn }));
            Ok(())
        })?;
        // Stable: equal keys keep their file order.
        children.sort_by_key(|(root, conn, place, _)| (*root, *conn, *place));
        let mut starts = Vec::with_capacity(roots.len() + 1);
        let mut at = 0usize;
        for i in 0..roots.len() as u32 {
            starts.push(at as u32);
            while at < children.len() && children[at].0 == i {
                at += 1;
            }
        }
        starts.push(children.len() as u32);
        self.roots = roots;
        self.starts = starts;
        self.children = children.into_iter().map(|(_, _, _, c)| c).collect();
        Ok(self)
    }

    /// Root records in the export.
    pub(crate) fn len(&self) -> usize {
        self.roots.len()
    }

    fn read<'b>(file: &mut File, span: Span, buf: &'b mut Vec<u8>) -> Result<Fields<'b>> {
        buf.resize(span.len as usize, 0);
        file.seek(SeekFrom::Start(span.offset))
            .and_then(|_| file.read_exact(buf))
            .map_err(io_error)?;
        let buf: &'b [u8] = buf;
        serde_json::from_slice(buf)
            .map_err(|e| Error::decode(format!("line {}", span.line), e.to_string()))
    }

    /// Root records `start..start + n` with their children stitched in.
    pub(crate) fn page(&self, start: usize, n: usize) -> Result<Vec<Stitched>> {
        let mut file = self.open()?;
        let selection = queries::selection(self.entity);
        let conns = connections(selection);
        let completable = completable(selection);
        let end = start.saturating_add(n).min(self.roots.len());
        let mut out = Vec::with_capacity(end.saturating_sub(start));
        let (mut line, mut child_line) = (Vec::new(), Vec::new());
        for i in start..end {
            let span = self.roots[i];
            let root = Self::read(&mut file, span, &mut line)?;
            let mut text = String::with_capacity(span.len as usize * 2);
            text.push('{');
            let mut incomplete = false;
            for (k, v) in &root.0 {
                if text.len() > 1 {
                    text.push(',');
                }
                push_field(&mut text, k, v.get());
                incomplete |= completable.contains(k) && !matches!(v.get(), "[]" | "null");
            }
            let kids = &self.children[self.starts[i] as usize..self.starts[i + 1] as usize];
            let mut open: Option<u16> = None;
            for child in kids {
                if open != Some(child.conn) {
                    if open.is_some() {
                        text.push_str("]}");
                    }
                    if text.len() > 1 {
                        text.push(',');
                    }
                    text.push('"');
                    text.push_str(conns[child.conn as usize].name);
                    text.push_str("\":{\"nodes\":[");
                    open = Some(child.conn);
                } else {
                    text.push(',');
                }
                let fields = Self::read(&mut file, child.span, &mut child_line)?;
                text.push('{');
                let mut first = true;
                for (k, v) in fields.0.iter().filter(|(k, _)| *k != "__parentId") {
                    if !first {
                        text.push(',');
                    }
                    first = false;
                    push_field(&mut text, k, v.get());
                }
                text.push('}');
            }
            if open.is_some() {
                text.push_str("]}");
            }
            text.push('}');
            let text = RawValue::from_string(text)
                .map_err(|e| Error::decode(format!("line {}", span.line), e.to_string()))?;
            out.push(Stitched { text, incomplete });
        }
        Ok(out)
    }

    /// The file's path (to check it is gone after the export is served).
    #[cfg(test)]
    fn path(&self) -> &std::path::Path {
        &self.path.0
    }
}

/// Writes `"key":value` (keys are unescaped field names, values JSON text).
fn push_field(text: &mut String, key: &str, value: &str) {
    text.push('"');
    text.push_str(key);
    text.push_str("\":");
    text.push_str(value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// A page as values.
    fn values(page: Vec<Stitched>) -> Vec<Value> {
        page.iter()
            .map(|s| serde_json::from_str(s.text.get()).unwrap())
            .collect()
    }

    /// An ungrouped result: a child before its parent, escaped slashes in GIDs.
    const UNGROUPED: &str = concat!(
        r#"{"id":"gid://shopify/LineItem/12","quantity":3,"__parentId":"gid://shopify/Order/1"}"#,
        "\n",
        r##"{"id":"gid://shopify/Order/1","name":"#1001"}"##,
        "\n",
        r##"{"id":"gid:\/\/shopify\/Order\/2","name":"#1002"}"##,
        "\n\n",
        r#"{"id":"gid://shopify/LineItem/21","quantity":2,"__parentId":"gid://shopify/Order/2"}"#,
        "\n",
        r#"{"id":"gid://shopify/ShippingLine/5","title":"Post","__parentId":"gid://shopify/Order/1"}"#,
        "\n",
        r#"{"id":"gid://shopify/LineItem/11","quantity":1,"__parentId":"gid://shopify/Order/1"}"#,
    );

    #[test]
    fn stitches_children_wherever_they_are() {
        let file = BulkFile::from_text(Entity::Order, false, UNGROUPED)
            .unwrap()
            .index(Some(6))
            .unwrap();
        assert_eq!(file.len(), 2);
        let all = values(file.page(0, 10).unwrap());
        let ids = |v: &Value, f: &str| -> Vec<String> {
            v[f]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            ids(&all[0], "lineItems"),
            ["gid://shopify/LineItem/11", "gid://shopify/LineItem/12"],
            "ungrouped siblings are put back in id order"
        );
        assert_eq!(
            ids(&all[0], "shippingLines"),
            ["gid://shopify/ShippingLine/5"]
        );
        assert_eq!(ids(&all[1], "lineItems"), ["gid://shopify/LineItem/21"]);
        assert!(all[0]["lineItems"]["nodes"][0].get("__parentId").is_none());
        // Pages are windows over the roots.
        let second = values(file.page(1, 1).unwrap());
        assert_eq!(second.len(), 1);
        assert_eq!(second[0]["name"], "#1002");
        assert!(file.page(2, 5).unwrap().is_empty());
    }

    #[test]
    fn a_record_without_children_gets_no_connections() {
        let text = concat!(
            r#"{"id":"gid://shopify/Order/1"}"#,
            "\n",
            r#"{"__typename":"DiscountCodeApplication","index":0,"code":"X","__parentId":"gid://shopify/Order/1"}"#,
            "\n",
            r#"{"id":"gid://shopify/Order/2"}"#,
        );
        let file = BulkFile::from_text(Entity::Order, false, text)
            .unwrap()
            .index(Some(3))
            .unwrap();
        let page = values(file.page(0, 2).unwrap());
        // Nodes without an id find their place by `__typename`.
        assert_eq!(page[0]["discountApplications"]["nodes"][0]["code"], "X");
        assert!(page[0].get("lineItems").is_none());
        assert!(page[1].as_object().unwrap().len() == 1, "{}", page[1]);
    }

    #[test]
    fn records_holding_what_bulk_cannot_carry_are_marked_for_completion() {
        let text = concat!(
            r#"{"id":"gid://shopify/Order/1","refunds":[{"id":"gid://shopify/Refund/1"}]}"#,
            "\n",
            r##"{"id":"gid://shopify/Order/2","refunds":[],"name":"#1002"}"##,
            "\n",
            r#"{"id":"gid://shopify/LineItem/3","title":"a \"b\"","__parentId":"gid://shopify/Order/2"}"#,
        );
        let file = BulkFile::from_text(Entity::Order, false, text)
            .unwrap()
            .index(Some(3))
            .unwrap();
        let page = file.page(0, 2).unwrap();
        assert!(page[0].incomplete && !page[1].incomplete);
        assert_eq!(
            page[1].text.get(),
            r##"{"id":"gid://shopify/Order/2","refunds":[],"name":"#1002","lineItems":{"nodes":[{"id":"gid://shopify/LineItem/3","title":"a \"b\""}]}}"##,
            "fields and escapes kept as they were"
        );
    }

    #[test]
    fn refuses_a_cut_or_inconsistent_result() {
        let short = BulkFile::from_text(Entity::Order, false, UNGROUPED)
            .unwrap()
            .index(Some(9));
        assert!(matches!(short, Err(Error::Transport { .. })), "{short:?}");
        let orphan = concat!(
            r#"{"id":"gid://shopify/Order/1"}"#,
            "\n",
            r#"{"id":"gid://shopify/LineItem/1","__parentId":"gid://shopify/Order/9"}"#,
        );
        let err = BulkFile::from_text(Entity::Order, false, orphan)
            .unwrap()
            .index(None)
            .unwrap_err();
        assert!(
            matches!(err, Error::Decode { ref path, .. } if path == "line 2"),
            "{err:?}"
        );
        let cut = "{\"id\":\"gid://shopify/Order/1\"}\n{\"id\":\"gid://shop";
        assert!(matches!(
            BulkFile::from_text(Entity::Order, false, cut)
                .unwrap()
                .index(None),
            Err(Error::Decode { .. })
        ));
    }

    #[test]
    fn the_file_goes_away_with_the_result() {
        let file = BulkFile::from_text(Entity::Order, false, UNGROUPED).unwrap();
        let path = file.path().to_owned();
        assert!(path.exists());
        drop(file);
        assert!(!path.exists());
    }
}
