//! Paging written once for every adapter: follow cursors from a query to the last
//! page, as a stream of pages or collected.

use futures::Stream;

use crate::adapter::{Adapter, ListQuery, Page};
use crate::error::Result;
use crate::model::Record;

/// Every page of `query`, in order, until a page has no next cursor. The stream ends
/// after the first error.
pub fn pages(adapter: &dyn Adapter, query: ListQuery) -> impl Stream<Item = Result<Page>> + '_ {
    futures::stream::unfold(Some(query), move |state| async move {
        let query = state?;
        match adapter.list(&query).await {
            Ok(page) => {
                let next = page
                    .next
                    .clone()
                    .map(|c| query.clone().with_cursor(Some(c)));
                Some((Ok(page), next))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}

/// Every record of `query`, all pages.
pub async fn collect_all(adapter: &dyn Adapter, query: ListQuery) -> Result<Vec<Record>> {
    use futures::StreamExt;
    let mut out = Vec::new();
    let mut stream = std::pin::pin!(pages(adapter, query));
    while let Some(page) = stream.next().await {
        out.extend(page?.records);
    }
    Ok(out)
}
