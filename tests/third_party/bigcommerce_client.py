"""Drives the BigCommerce simulator with BigCommerce's Python SDK
(`bigcommerce`, bigcommerce-api-python), unchanged.

Run by tests/third_party_clients.rs with one JSON argument; prints one JSON object with
what the SDK saw. The SDK always speaks https to the host named by its own
`BC_API_ENDPOINT` setting: the test sets that to a local TLS endpoint in front of the
simulator and trusts its certificate through `REQUESTS_CA_BUNDLE` (requests' setting).
v2 orders go through the SDK's resources; v3 catalog and customers through its
`OAuthConnection` with the v3 `api_path`, following `meta.pagination`.
"""

import json
import sys

import bigcommerce
from bigcommerce.connection import OAuthConnection


def v3_walk(v3, path, **params):
    """Every record of a v3 listing, page by page until meta.pagination.total_pages."""
    records, page = [], 1
    while True:
        body = v3.get(path, page=page, limit=250, **params)
        records.extend(body["data"])
        pagination = body["meta"]["pagination"]
        if pagination["current_page"] >= pagination["total_pages"]:
            return records, pagination["total"]
        page += 1


def main():
    cfg = json.loads(sys.argv[1])
    api = bigcommerce.api.BigcommerceApi(
        client_id=cfg["client_id"], store_hash=cfg["store_hash"], access_token=cfg["access_token"]
    )
    v3 = OAuthConnection(
        cfg["client_id"], cfg["store_hash"], cfg["access_token"], host=api.api_service, api_path="/stores/{}/v3/{}"
    )
    out = {}
    orders = list(api.Orders.iterall())
    out["orders"] = sorted(o.id for o in orders)
    out["orders_count"] = api.Orders.count()
    for name, path in [
        ("products", "catalog/products"),
        ("customers", "customers"),
        ("categories", "catalog/categories"),
        ("variants", "catalog/variants"),
    ]:
        records, total = v3_walk(v3, path)
        out[name] = sorted(r["id"] for r in records)
        out[name + "_total"] = total

    recent = list(api.Orders.iterall(min_date_modified=cfg["min_date_modified"]))
    out["incremental"] = sorted(o.id for o in recent)
    out["incremental_count"] = api.Orders.count(min_date_modified=cfg["min_date_modified"])
    recent_products, _ = v3_walk(v3, "catalog/products", **{"date_modified:min": cfg["date_modified_min"]})
    out["incremental_products"] = sorted(p["id"] for p in recent_products)

    # Order products' options next to the catalog variants they were bought as.
    options = []
    for order_id in cfg["option_orders"]:
        for line in api.OrderProducts.all(parentid=order_id):
            variant = v3.get("catalog/products/%d/variants/%d" % (line["product_id"], line["variant_id"]))["data"]
            for option in line["product_options"]:
                options.append({
                    "type": option["type"],
                    "value": option["value"],
                    "display_name": option["display_name"],
                    "display_value": option["display_value"],
                    "product_option_id": option["product_option_id"],
                    "variant_option_values": variant["option_values"],
                })
    out["options"] = options

    order = api.Orders.get(cfg["order_id"])
    updated = order.update(status_id=cfg["status_id"])
    out["order_write"] = {"id": updated.id, "status_id": updated.status_id, "status": updated.status}
    body = v3.put("catalog/products/%d" % cfg["product_id"], {"price": cfg["new_price"]})
    out["product_write"] = {"id": body["data"]["id"], "price": body["data"]["price"]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
