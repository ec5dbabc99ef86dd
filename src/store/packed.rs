//! Documents at rest: a record's JSON compressed with LZ4 (block format, its length
//! first). Record documents are mostly the platform's raw payload, JSON that shrinks
//! to about a third; storing a third of the bytes is what lets a page commit keep up
//! with a sync (SQLite writes every byte twice, to the WAL and at the checkpoint;
//! PostgreSQL no longer compresses and TOASTs each document itself). Compression runs
//! in the page's serialising task, beside the writer, and a read unpacks in a few
//! microseconds. Change detection hashes the JSON, never the packed bytes.

use super::{Error, Result};

/// The stored form of `document`.
pub(super) fn pack(document: &str) -> Vec<u8> {
    lz4_flex::compress_prepend_size(document.as_bytes())
}

/// The JSON of a stored document; a document that does not unpack is corruption.
pub(super) fn unpack(stored: &[u8]) -> Result<String> {
    // LZ4 expands at most 255-fold: a length beyond that is damage, not a reason to
    // allocate gigabytes.
    let claimed = stored
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    if claimed.is_none_or(|n| n > stored.len().saturating_mul(255)) {
        return Err(Error::Corrupt(
            "stored document has a damaged length".to_owned(),
        ));
    }
    let bytes = lz4_flex::decompress_size_prepended(stored)
        .map_err(|e| Error::Corrupt(format!("stored document does not unpack: {e}")))?;
    String::from_utf8(bytes).map_err(|_| Error::Corrupt("stored document is not UTF-8".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_and_shrink() {
        let document = format!(
            "{{\"raw\":[{}]}}",
            vec!["{\"title\":\"Café ☕\",\"price\":\"12.50\"}"; 50].join(",")
        );
        let packed = pack(&document);
        assert!(
            packed.len() * 3 < document.len(),
            "{} of {}",
            packed.len(),
            document.len()
        );
        assert_eq!(unpack(&packed).expect("unpacks"), document);
        assert_eq!(unpack(&pack("")).expect("unpacks"), "");
    }

    #[test]
    fn damaged_documents_are_corruption_not_panics() {
        let mut packed = pack(
            "{\"id\":\"a fairly long document, long enough to reference itself itself itself\"}",
        );
        packed.truncate(packed.len() - 3);
        assert!(matches!(unpack(&packed), Err(Error::Corrupt(_))));
        assert!(matches!(
            unpack(&[0xff, 0xff, 0xff, 0x7f, 1]),
            Err(Error::Corrupt(_))
        ));
        assert!(matches!(unpack(&[]), Err(Error::Corrupt(_))));
    }
}
