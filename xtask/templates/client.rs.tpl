//! How polycart talks to {{Name}}: the transport (bearer token, the store's budget,
//! retries) and the classification of the platform's answers — HTML or broken JSON
//! on a 2xx is retried (a proxy page, a cut connection), the rest by HTTP status.

use std::sync::Arc;

use polycart_kit::StoreConfig;
use polycart_kit::auth::HeaderToken;
use polycart_kit::connector::AdapterContext;
use polycart_kit::transport::html::retry_unusable_success;
use polycart_kit::transport::{Classify, Response, Transport, Verdict, classify_status};

use crate::PLATFORM;
use crate::config::{{Name}}Config;

/// The largest page {{Name}} serves.
pub const MAX_PAGE: u32 = 100;

/// {{Name}}'s answers, read.
#[derive(Debug, Clone, Copy)]
pub struct {{Name}}Classifier;

impl Classify for {{Name}}Classifier {
    fn classify(&self, response: &Response) -> Verdict {
        retry_unusable_success(response).unwrap_or_else(|| classify_status(response))
    }
}

/// The store's transport.
pub(crate) fn transport(store: &StoreConfig, config: &{{Name}}Config, ctx: &AdapterContext) -> Transport {
    Transport::builder(store.store_id.clone(), PLATFORM)
        .auth(Arc::new(HeaderToken::bearer(config.access_token.clone())))
        .budget(config.budget)
        .classifier(Arc::new({{Name}}Classifier))
        .metrics(ctx.metrics.clone())
        .build()
}
