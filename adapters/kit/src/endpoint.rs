//! A listing described as data ([`Endpoint`]: its path, fixed parameters, paging
//! strategy, envelope, "updated since" filter, largest page and mapping) and the one
//! driver that lists a page of it through a [`Transport`]: a plain REST platform
//! declares its endpoints and maps records; it writes no paging loop.
//!
//! ```text
//! request  = path(args) + fixed params + filters + since + paging.request(cursor)
//! response → envelope.split(body) → paging.step(...) → kept records → map → Page
//! ```

use http::{HeaderName, HeaderValue, Method, StatusCode};
use serde_json::value::RawValue;
use url::Url;

use crate::adapter::{Cursor, ListQuery, Page};
use crate::envelope::Envelope;
use crate::error::{Error, Result};
use crate::model::Record;
use crate::paging::{PageView, Paging, Since};
use crate::path::{ApiPath, IdGrammar};
use crate::transport::{Request, Transport};

/// A path with named id segments: `products/{product_id}/variations`. Literal
/// segments come from code; each `{name}` (numeric) or `{name:token}` /
/// `{name:text}` segment is filled from arguments through [`ApiPath::id`], so it is
/// checked and encoded as one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathTemplate(pub &'static str);

impl PathTemplate {
    /// The path with its id segments filled from `args` (`("product_id", "42")`).
    pub fn build(&self, args: &[(&str, &str)]) -> Result<ApiPath> {
        let mut path: Option<ApiPath> = None;
        for segment in self.0.split('/').filter(|s| !s.is_empty()) {
            let next = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                None => match path {
                    None => ApiPath::new(segment),
                    Some(p) => p.lit(segment),
                },
                Some(param) => {
                    let (name, grammar) = match param.split_once(':') {
                        None => (param, IdGrammar::Numeric),
                        Some((n, "token")) => (n, IdGrammar::Token),
                        Some((n, "text")) => (n, IdGrammar::Text),
                        Some((_, other)) => {
                            return Err(Error::invalid(format!(
                                "path template {:?}: unknown id kind {other:?}",
                                self.0
                            )));
                        }
                    };
                    let value = args
                        .iter()
                        .find(|(k, _)| *k == name)
                        .map(|(_, v)| *v)
                        .ok_or_else(|| Error::invalid(format!("path {:?} needs {name}", self.0)))?;
                    path.unwrap_or_else(|| ApiPath::new(""))
                        .id(grammar, value)?
                }
            };
            path = Some(next);
        }
        Ok(path.unwrap_or_else(|| ApiPath::new("")))
    }
}

/// How a listing is asked for.
#[derive(Debug, Clone, Copy)]
pub enum Call {
    /// `GET` with query parameters.
    Get,
    /// `POST` of a GraphQL document with the paging (and `since`) as variables.
    GraphQl(&'static str),
    /// `POST` of a JSON search body the adapter builds from the request's parameters
    /// (fixed, filters, since and paging, by the names the endpoint declared them
    /// with): Wix's `{"search": {"filter", "sort", "cursorPaging"}}` and
    /// `{"query": {...}}` bodies. A search reads; repeating it is safe.
    Search(SearchBody),
    /// `POST` of a JSON search body where the parameters named in `query` stay in the
    /// URL and the rest go to the body builder: TikTok Shop's
    /// `/order/202309/orders/search?page_size&page_token&...` with
    /// `{"update_time_ge": ...}` in the body. A search reads; repeating it is safe.
    SplitSearch {
        query: &'static [&'static str],
        body: SearchBody,
    },
}

impl PartialEq for Call {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Call::Get, Call::Get) => true,
            (Call::GraphQl(a), Call::GraphQl(b)) => a == b,
            (Call::Search(a), Call::Search(b)) => std::ptr::fn_addr_eq(*a, *b),
            (
                Call::SplitSearch { query: qa, body: a },
                Call::SplitSearch { query: qb, body: b },
            ) => qa == qb && std::ptr::fn_addr_eq(*a, *b),
            _ => false,
        }
    }
}

impl Eq for Call {}

/// Builds a search body from a request's parameters (see [`Call::Search`]).
pub type SearchBody = fn(&[(String, String)]) -> Result<serde_json::Value>;

/// Filters an adapter reads from a query (status, created since), checked by it.
pub type Filters = fn(&ListQuery) -> Result<Vec<(&'static str, String)>>;

/// A listing, declared.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<C: ?Sized = ()> {
    pub path: PathTemplate,
    pub call: Call,
    /// Parameters every request carries (`include=variants`).
    pub params: &'static [(&'static str, &'static str)],
    /// Headers every request carries (`Accept: application/json`).
    pub headers: &'static [(&'static str, &'static str)],
    pub paging: Paging,
    pub envelope: Envelope,
    /// The "updated since" filter, unless the paging writes it (the keyset does).
    pub since: Option<Since>,
    /// Filters read from the query (status, created since), validated by the adapter.
    pub filters: Option<Filters>,
    /// The largest page the platform serves.
    pub max_page: u32,
    /// One raw record to unified records (a product may bring its variants' stock).
    pub map: fn(&RawValue, &C) -> Result<Vec<Record>>,
}

/// Where an endpoint is listed: through which transport, under which API root (its
/// path is kept), with which path arguments (`("product_id", "42")`).
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub transport: &'a Transport,
    pub root: &'a Url,
    pub args: &'a [(&'a str, &'a str)],
}

impl<'a> Target<'a> {
    /// A target without path arguments.
    pub fn new(transport: &'a Transport, root: &'a Url) -> Self {
        Self {
            transport,
            root,
            args: &[],
        }
    }
}

/// A page of raw records and where the next one starts.
#[derive(Debug)]
pub struct RawPage {
    pub items: Vec<Box<RawValue>>,
    pub next: Option<Cursor>,
}

impl<C: ?Sized> Endpoint<C> {
    /// The request for the page `query` names, under `root` (the platform's API root),
    /// with the path's `args` and `extra` parameters the adapter adds to this call
    /// (sent where filters are).
    pub fn request(
        &self,
        root: &Url,
        args: &[(&str, &str)],
        query: &ListQuery,
        extra: &[(&str, String)],
    ) -> Result<Request> {
        let limit = query.page_size_or(self.max_page);
        let paging = self.paging.request(query, limit, self.max_page)?;
        let url = self.path.build(args)?.under(root);
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut variables = paging.variables;
        if self.paging.filters_on(query.cursor.as_ref()) {
            pairs.extend(
                self.params
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            );
            if let Some(filters) = self.filters {
                pairs.extend(filters(query)?.into_iter().map(|(k, v)| (k.to_owned(), v)));
            }
            pairs.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
            if let (Some(since), Some(t), false) =
                (self.since, query.updated_since, self.paging.owns_since())
            {
                let (k, v) = since.param(t);
                match self.call {
                    Call::Get | Call::Search(_) | Call::SplitSearch { .. } => {
                        pairs.push((k.to_owned(), v))
                    }
                    Call::GraphQl(_) => {
                        variables.insert(k.to_owned(), serde_json::Value::String(v));
                    }
                }
            }
        }
        pairs.extend(paging.query);
        let mut request = match self.call {
            Call::Get => Request::get(url).query(pairs),
            Call::GraphQl(document) => Request::post(url)
                .query(pairs)
                .json(&serde_json::json!({ "query": document, "variables": variables }))
                // A query reads; repeating it is safe.
                .idempotent(true),
            Call::Search(body) => Request::post(url).json(&body(&pairs)?).idempotent(true),
            Call::SplitSearch { query, body } => {
                let (in_url, in_body): (Vec<_>, Vec<_>) = pairs
                    .into_iter()
                    .partition(|(k, _)| query.contains(&k.as_str()));
                Request::post(url)
                    .query(in_url)
                    .json(&body(&in_body)?)
                    .idempotent(true)
            }
        };
        for (k, v) in self.headers {
            let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| {
                Error::invalid(format!("endpoint header {k:?} is not a header name"))
            })?;
            let value = HeaderValue::from_str(v)
                .map_err(|_| Error::invalid(format!("endpoint header {k:?} has a bad value")))?;
            request = request.header(name, value);
        }
        Ok(request)
    }

    /// Lists one page of raw records: the request, the envelope, the paging step. A
    /// `204` or an empty body is a page without records.
    pub async fn fetch(
        &self,
        at: Target<'_>,
        query: &ListQuery,
        extra: &[(&str, String)],
    ) -> Result<RawPage> {
        let request = self.request(at.root, at.args, query, extra)?;
        debug_assert!(
            request.method == Method::GET
                || matches!(
                    self.call,
                    Call::GraphQl(_) | Call::Search(_) | Call::SplitSearch { .. }
                )
        );
        let response = at.transport.send(request).await?;
        // Nothing (a `204`, an empty body) is an empty page, which the paging still
        // steps over: inside a crowded second it is not the listing's end.
        let nothing = response.status == StatusCode::NO_CONTENT || response.body.is_empty();
        let body = if nothing { "null" } else { response.text()? };
        let items = if nothing {
            Vec::new()
        } else {
            self.envelope.split(body)?
        };
        let limit = query.page_size_or(self.max_page);
        let view = PageView {
            headers: &response.headers,
            body,
            items: &items,
        };
        let step = self
            .paging
            .step(query, limit, self.max_page, &view)
            .map_err(|e| self.envelope.in_body(e))?;
        Ok(RawPage {
            items: items
                .iter()
                .zip(&step.keep)
                .filter(|(_, keep)| **keep)
                .map(|(item, _)| (*item).to_owned())
                .collect(),
            next: step.next,
        })
    }

    /// Lists one page and maps its records with `ctx`; a record that does not map is a
    /// decode error naming its place in the body.
    pub async fn list(
        &self,
        at: Target<'_>,
        query: &ListQuery,
        extra: &[(&str, String)],
        ctx: &C,
    ) -> Result<Page> {
        let page = self.fetch(at, query, extra).await?;
        let mut records = Vec::with_capacity(page.items.len());
        for (i, item) in page.items.iter().enumerate() {
            let mapped = (self.map)(item, ctx).map_err(|e| self.envelope.at_item(e, i))?;
            records.extend(mapped);
        }
        Ok(Page {
            records,
            next: page.next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_checked_id_segments() {
        let t = PathTemplate("products/{product_id}/variations");
        assert_eq!(
            t.build(&[("product_id", "42")]).unwrap().as_str(),
            "products/42/variations"
        );
        assert!(t.build(&[("product_id", "../1")]).is_err());
        assert!(t.build(&[]).is_err());
        let sku = PathTemplate("V1/products/{sku:text}");
        assert_eq!(
            sku.build(&[("sku", "a/b")]).unwrap().as_str(),
            "V1/products/a%2Fb"
        );
        assert!(PathTemplate("x/{id:what}").build(&[("id", "1")]).is_err());
        assert_eq!(
            PathTemplate("/v2/orders/").build(&[]).unwrap().as_str(),
            "v2/orders"
        );
    }

    #[test]
    fn a_search_posts_its_parameters_as_the_body_the_adapter_builds() {
        fn body(pairs: &[(String, String)]) -> Result<serde_json::Value> {
            Ok(
                serde_json::json!({ "search": pairs.iter().cloned().collect::<std::collections::BTreeMap<_, _>>() }),
            )
        }
        let endpoint: Endpoint = Endpoint {
            path: PathTemplate("ecom/v1/orders/search"),
            call: Call::Search(body),
            params: &[("sort", "updatedDate")],
            headers: &[],
            paging: Paging::Token(crate::paging::BodyToken {
                param: "cursor",
                size: Some("limit"),
                next: "/metadata/cursors/next",
                more: None,
                filters_first_page_only: true,
            }),
            envelope: Envelope::At("/orders"),
            since: None,
            filters: None,
            max_page: 100,
            map: |_, _| Ok(Vec::new()),
        };
        let root: Url = "https://www.wixapis.com/".parse().unwrap();
        let query = ListQuery::new(crate::model::Entity::Order).page_size(2);
        let request = endpoint.request(&root, &[], &query, &[]).unwrap();
        assert_eq!(request.method, Method::POST);
        assert!(request.idempotent, "a search is a read");
        assert_eq!(
            request.url.as_str(),
            "https://www.wixapis.com/ecom/v1/orders/search"
        );
        let sent: serde_json::Value =
            serde_json::from_slice(request.body.as_ref().unwrap()).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({ "search": { "sort": "updatedDate", "limit": "2" } })
        );
    }

    #[test]
    fn a_split_search_keeps_named_parameters_in_the_url() {
        fn body(pairs: &[(String, String)]) -> Result<serde_json::Value> {
            Ok(serde_json::Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect(),
            ))
        }
        let endpoint: Endpoint = Endpoint {
            path: PathTemplate("order/202309/orders/search"),
            call: Call::SplitSearch {
                query: &["page_size", "page_token", "sort_field"],
                body,
            },
            params: &[("sort_field", "update_time")],
            headers: &[],
            paging: Paging::Token(crate::paging::BodyToken {
                param: "page_token",
                size: Some("page_size"),
                next: "/data/next_page_token",
                more: None,
                filters_first_page_only: false,
            }),
            envelope: Envelope::At("/data/orders"),
            since: Some(Since {
                bound: crate::paging::Bound::Inclusive("update_time_ge"),
                format: crate::paging::DateFormat::UnixSeconds,
            }),
            filters: None,
            max_page: 100,
            map: |_, _| Ok(Vec::new()),
        };
        let root: Url = "https://open-api.example/".parse().unwrap();
        let since = chrono::DateTime::from_timestamp(1_623_812_664, 0).unwrap();
        let query = ListQuery::new(crate::model::Entity::Order)
            .page_size(20)
            .updated_since(since);
        let request = endpoint.request(&root, &[], &query, &[]).unwrap();
        assert_eq!(request.method, Method::POST);
        assert!(request.idempotent);
        assert_eq!(
            request.url.as_str(),
            "https://open-api.example/order/202309/orders/search?sort_field=update_time&page_size=20"
        );
        let sent: serde_json::Value =
            serde_json::from_slice(request.body.as_ref().unwrap()).unwrap();
        assert_eq!(sent, serde_json::json!({ "update_time_ge": "1623812664" }));
    }
}
