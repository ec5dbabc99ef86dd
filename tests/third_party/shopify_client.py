"""Drives the Shopify simulator with Shopify's own Python SDK (ShopifyAPI), unchanged.

Run by tests/third_party_clients.rs with one JSON argument (the simulator's address,
token, and what to read and write); prints one JSON object with what the SDK saw.
The only configuration is the SDK's own: a session for the shop, then the REST site
pointed at the simulator (`ShopifyResource.set_site`, as the SDK's README does for
private apps), since the simulator is not at https://<shop>.myshopify.com.
"""

import json
import sys

import shopify


def walk(resource, **params):
    """Every record of a listing, following the SDK's Link-header page_info cursors."""
    page = resource.find(limit=250, **params)
    records, pages = list(page), 1
    while page.has_next_page():
        page = page.next_page()
        records.extend(page)
        pages += 1
    return records, pages


def main():
    cfg = json.loads(sys.argv[1])
    version = cfg["api_version"]
    session = shopify.Session(cfg["shop"], version, cfg["access_token"])
    shopify.ShopifyResource.activate_session(session)
    shopify.ShopifyResource.set_site("%s/admin/api/%s" % (cfg["base_url"], version))

    out = {}
    for name, resource, params in [
        ("orders", shopify.Order, {"status": "any"}),
        ("products", shopify.Product, {}),
        ("customers", shopify.Customer, {}),
        ("custom_collections", shopify.CustomCollection, {}),
        ("smart_collections", shopify.SmartCollection, {}),
    ]:
        records, pages = walk(resource, **params)
        out[name] = sorted(r.id for r in records)
        out[name + "_pages"] = pages

    # Incremental reads as a widely used connector sends them: a bare date, then a
    # cursor, ascending by updated_at, every status.
    since_2000, _ = walk(shopify.Order, status="any", order="updated_at asc", updated_at_min="2000-01-01")
    out["since_2000"] = len(since_2000)
    recent, _ = walk(shopify.Order, status="any", order="updated_at asc", updated_at_min=cfg["updated_at_min"])
    out["incremental"] = [o.id for o in recent]
    out["incremental_updated_at"] = [o.updated_at for o in recent]
    out["incremental_count"] = shopify.Order.count(status="any", updated_at_min=cfg["updated_at_min"])

    # Writes: a variant's price through its product, and closing an order.
    product = shopify.Product.find(cfg["product_id"])
    variant = product.variants[0]
    variant.price = cfg["new_price"]
    if not variant.save():
        raise SystemExit("variant.save() failed: %s" % variant.errors.full_messages())
    out["variant"] = {"id": variant.id, "price": variant.price}
    order = shopify.Order.find(cfg["order_id"])
    order.close()
    out["closed_order"] = {"id": order.id, "closed_at": order.closed_at}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
