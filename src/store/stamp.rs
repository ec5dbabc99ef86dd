//! A record's stored document: the record serialised as [`Record::assign_store`] would
//! leave it (its `id` and `store_id` stamped with the store), without cloning the
//! record to stamp it. A serializer wrapper substitutes the two top-level fields while
//! the record is written; everything else passes through untouched.
//!
//! Every entity serialises as one struct whose `id` and `store_id` fields are always
//! present (`null` until stamped), so substituting them gives byte for byte the JSON of
//! the stamped clone; a test checks it on every golden record.

use polycart_kit::Record;
use polycart_kit::model::record_id;
use serde::ser::{self, Serialize, Serializer};

use super::{Error, Result};

/// The JSON document of `record` as stored for `store_id`.
pub(crate) fn stamped_document(record: &Record, store_id: &str) -> Result<String> {
    let id = record_id(store_id, record.platform_id());
    // The raw payload is most of a document: size the buffer so it is not regrown.
    let raw = record.raw().map_or(0, |r| r.get().len());
    let mut out = Vec::with_capacity(raw + raw / 2 + 1024);
    let mut json = serde_json::Serializer::new(&mut out);
    record
        .serialize(Stamp {
            inner: &mut json,
            id: &id,
            store_id,
        })
        .map_err(|e| Error::Invalid(format!("record does not serialise: {e}")))?;
    String::from_utf8(out).map_err(|e| Error::Invalid(format!("record does not serialise: {e}")))
}

/// Serialises like `inner`, stamping the top-level struct's `id` and `store_id`.
struct Stamp<'a, S> {
    inner: S,
    id: &'a str,
    store_id: &'a str,
}

/// The top-level struct being written.
struct StampStruct<'a, S> {
    inner: S,
    id: &'a str,
    store_id: &'a str,
}

impl<S: ser::SerializeStruct> ser::SerializeStruct for StampStruct<'_, S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> std::result::Result<(), S::Error> {
        match key {
            "id" => self.inner.serialize_field(key, &Some(self.id)),
            "store_id" => self.inner.serialize_field(key, &Some(self.store_id)),
            _ => self.inner.serialize_field(key, value),
        }
    }

    fn skip_field(&mut self, key: &'static str) -> std::result::Result<(), S::Error> {
        self.inner.skip_field(key)
    }

    fn end(self) -> std::result::Result<S::Ok, S::Error> {
        self.inner.end()
    }
}

/// Forwards a serializer method unchanged.
macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $name(self, $($arg: $ty),*) -> std::result::Result<S::Ok, S::Error> {
            self.inner.$name($($arg),*)
        })*
    };
}

impl<'a, S: Serializer> Serializer for Stamp<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = S::SerializeSeq;
    type SerializeTuple = S::SerializeTuple;
    type SerializeTupleStruct = S::SerializeTupleStruct;
    type SerializeTupleVariant = S::SerializeTupleVariant;
    type SerializeMap = S::SerializeMap;
    type SerializeStruct = StampStruct<'a, S::SerializeStruct>;
    type SerializeStructVariant = S::SerializeStructVariant;

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> std::result::Result<Self::SerializeStruct, S::Error> {
        Ok(StampStruct {
            inner: self.inner.serialize_struct(name, len)?,
            id: self.id,
            store_id: self.store_id,
        })
    }

    forward! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_some<T: ?Sized + Serialize>(
        self,
        value: &T,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.inner.serialize_some(value)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.inner.serialize_newtype_struct(name, value)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.inner
            .serialize_newtype_variant(name, index, variant, value)
    }

    fn serialize_seq(self, len: Option<usize>) -> std::result::Result<S::SerializeSeq, S::Error> {
        self.inner.serialize_seq(len)
    }

    fn serialize_tuple(self, len: usize) -> std::result::Result<S::SerializeTuple, S::Error> {
        self.inner.serialize_tuple(len)
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> std::result::Result<S::SerializeTupleStruct, S::Error> {
        self.inner.serialize_tuple_struct(name, len)
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> std::result::Result<S::SerializeTupleVariant, S::Error> {
        self.inner
            .serialize_tuple_variant(name, index, variant, len)
    }

    fn serialize_map(self, len: Option<usize>) -> std::result::Result<S::SerializeMap, S::Error> {
        self.inner.serialize_map(len)
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> std::result::Result<S::SerializeStructVariant, S::Error> {
        self.inner
            .serialize_struct_variant(name, index, variant, len)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use polycart_kit::Entity;

    use super::*;

    /// Every golden unified record of every platform.
    fn golden_records() -> Vec<(String, Record)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut found = Vec::new();
        for platform in std::fs::read_dir(&root).expect("fixtures are readable") {
            let platform = platform.expect("a fixture folder").path();
            for entity in Entity::ALL {
                let Ok(files) = std::fs::read_dir(platform.join(entity.as_str())) else {
                    continue;
                };
                for file in files {
                    let path = file.expect("a fixture").path();
                    if !path.to_string_lossy().ends_with(".unified.json") {
                        continue;
                    }
                    let text = std::fs::read_to_string(&path).expect("a readable fixture");
                    // Golden files of one record; skip listings and error cases.
                    if let Ok(record) = Record::from_json(entity, &text) {
                        found.push((path.display().to_string(), record));
                    }
                }
            }
        }
        found
    }

    #[test]
    fn stamped_documents_are_the_stamped_clones_json() {
        let records = golden_records();
        let entities: std::collections::BTreeSet<Entity> =
            records.iter().map(|(_, r)| r.entity()).collect();
        assert_eq!(
            entities.len(),
            Entity::ALL.len(),
            "golden records of every entity"
        );
        for (path, record) in records {
            for store in ["st_0123456789abcdef01234567", "st_\"quoted\"\\"] {
                let mut clone = record.clone();
                clone.assign_store(store);
                let expected = serde_json::to_string(&clone).expect("records serialise");
                let stamped = stamped_document(&record, store).expect("records serialise");
                assert_eq!(stamped, expected, "{path}");
                // Stamping an already stamped record changes nothing.
                assert_eq!(
                    stamped_document(&clone, store).expect("serialises"),
                    expected
                );
            }
        }
    }
}
