//! Offset paging (`offset=200&limit=100`): the next page starts after the records
//! read so far, while the platform's total says there are more or, without one, while
//! pages come back full (Magento-style `searchCriteria` and Wix's `paging.offset`
//! work the same way with other names). [`OffsetInOne`] is the same paging written in
//! one parameter, `limit=200,100` (PrestaShop's webservice, SQL's `LIMIT`).

use serde::{Deserialize, Serialize};

use super::{PageRequest, PageView, Total, more, state};
use crate::adapter::Cursor;
use crate::error::Result;

/// Offset paging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset {
    pub offset: &'static str,
    pub limit: &'static str,
    /// Where the platform says how many records there are, if it does.
    pub total: Option<Total>,
}

/// The cursor: `{"offset": n}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    offset: u64,
}

impl Offset {
    fn offset(at: Option<&Cursor>) -> Result<u64> {
        Ok(state::<State>(at)?.map_or(0, |s| s.offset))
    }

    pub fn request(&self, at: Option<&Cursor>, limit: u32) -> Result<PageRequest> {
        let mut r = PageRequest::default();
        r.push(self.offset, Self::offset(at)?.to_string());
        r.push(self.limit, limit.to_string());
        Ok(r)
    }

    pub fn next(
        &self,
        at: Option<&Cursor>,
        limit: u32,
        view: &PageView<'_>,
    ) -> Result<Option<Cursor>> {
        let next = Self::offset(at)? + view.items.len() as u64;
        let more = more(view, limit, self.total.as_ref(), |total| next < total)?;
        Ok(more.then(|| Cursor::encode(&State { offset: next })))
    }
}

/// Offset paging in one parameter: `{param}={offset},{count}` (PrestaShop `limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetInOne {
    pub param: &'static str,
    pub total: Option<Total>,
}

impl OffsetInOne {
    pub fn request(&self, at: Option<&Cursor>, limit: u32) -> Result<PageRequest> {
        let mut r = PageRequest::default();
        r.push(self.param, format!("{},{limit}", Offset::offset(at)?));
        Ok(r)
    }

    pub fn next(
        &self,
        at: Option<&Cursor>,
        limit: u32,
        view: &PageView<'_>,
    ) -> Result<Option<Cursor>> {
        Offset {
            offset: self.param,
            limit: self.param,
            total: self.total,
        }
        .next(at, limit, view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use serde_json::value::RawValue;

    #[test]
    fn goes_on_after_the_records_read() {
        let p = Offset {
            offset: "offset",
            limit: "limit",
            total: Some(Total::At("/totalResults")),
        };
        let raw = RawValue::from_string("{}".to_owned()).unwrap();
        let items = vec![raw.as_ref(); 2];
        let h = HeaderMap::new();
        let view = PageView {
            headers: &h,
            body: r#"{"items":[{},{}],"totalResults":5}"#,
            items: &items,
        };
        assert_eq!(
            p.request(None, 2).unwrap().query,
            [("offset".into(), "0".into()), ("limit".into(), "2".into())]
        );
        let next = p.next(None, 2, &view).unwrap().unwrap();
        assert_eq!(next.as_str(), r#"{"offset":2}"#);
        let at4 = Cursor::encode(&State { offset: 4 });
        assert!(p.next(Some(&at4), 2, &view).unwrap().is_none(), "6 >= 5");
        let untold = Offset { total: None, ..p };
        assert!(untold.next(Some(&at4), 2, &view).unwrap().is_some());
        assert!(untold.next(Some(&at4), 3, &view).unwrap().is_none());
    }

    #[test]
    fn one_parameter_holds_offset_and_count() {
        let p = OffsetInOne {
            param: "limit",
            total: None,
        };
        assert_eq!(
            p.request(None, 50).unwrap().query,
            [("limit".into(), "0,50".into())]
        );
        let raw = RawValue::from_string("{}".to_owned()).unwrap();
        let items = vec![raw.as_ref(); 2];
        let h = HeaderMap::new();
        let view = PageView {
            headers: &h,
            body: "[]",
            items: &items,
        };
        let next = p.next(None, 2, &view).unwrap().unwrap();
        assert_eq!(
            p.request(Some(&next), 2).unwrap().query,
            [("limit".into(), "2,2".into())]
        );
        assert!(
            p.next(Some(&next), 3, &view).unwrap().is_none(),
            "a short page ends"
        );
    }
}
