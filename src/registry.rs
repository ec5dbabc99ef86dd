//! The adapter registry: one line per platform, in plain sight. Adding a platform
//! means adding its crate and its line here, and nothing else in the app.

use polycart_kit::Connector;

/// Every platform polycart speaks, by registry name.
pub fn connectors() -> &'static [Connector] {
    static CONNECTORS: std::sync::OnceLock<Vec<Connector>> = std::sync::OnceLock::new();
    CONNECTORS.get_or_init(|| {
        vec![
            // one line per platform crate: polycart_<platform>::connector(),
            polycart_amazon::connector(),
            polycart_bigcommerce::connector(),
            polycart_ebay::connector(),
            polycart_ecwid::connector(),
            polycart_etsy::connector(),
            polycart_lazada::connector(),
            polycart_magento::connector(),
            polycart_prestashop::connector(),
            polycart_shopee::connector(),
            polycart_shopify::connector(),
            polycart_squarespace::connector(),
            polycart_tiktokshop::connector(),
            polycart_wix::connector(),
            polycart_woocommerce::connector(),
        ]
    })
}

/// The connector named `name`, or an error listing the known ones.
pub fn connector(name: &str) -> Result<&'static Connector, UnknownPlatform> {
    connectors()
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| UnknownPlatform(name.to_owned()))
}

/// A platform name the registry does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown platform {0:?}; known platforms: {known}", known = known_names())]
pub struct UnknownPlatform(pub String);

fn known_names() -> String {
    let names: Vec<&str> = connectors().iter().map(|c| c.name).collect();
    if names.is_empty() {
        "(none yet)".to_owned()
    } else {
        names.join(", ")
    }
}
