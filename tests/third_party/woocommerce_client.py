"""Drives the WooCommerce simulator with the WooCommerce REST API Python wrapper
(`woocommerce` on PyPI), unchanged.

Run by tests/third_party_clients.rs with one JSON argument (the site's URL, keys, and
what to read and write); prints one JSON object with what the wrapper saw. Over plain
http the wrapper signs every request with OAuth 1.0a, as WooCommerce requires there.
"""

import json
import sys

from woocommerce import API


def walk(api, endpoint, **params):
    """Every record of a listing, page by page until X-WP-TotalPages."""
    records, page = [], 1
    while True:
        r = api.get(endpoint, params=dict(params, per_page=100, page=page))
        if r.status_code != 200:
            raise SystemExit("GET %s page %d: %d %s" % (endpoint, page, r.status_code, r.text[:500]))
        records.extend(r.json())
        if page >= int(r.headers["X-WP-TotalPages"]):
            return records, int(r.headers["X-WP-Total"]), page
        page += 1


def main():
    cfg = json.loads(sys.argv[1])
    api = API(
        url=cfg["url"],
        consumer_key=cfg["consumer_key"],
        consumer_secret=cfg["consumer_secret"],
        version="wc/v3",
        timeout=30,
    )
    out = {}
    for name, endpoint in [
        ("orders", "orders"),
        ("products", "products"),
        ("customers", "customers"),
        ("categories", "products/categories"),
    ]:
        records, total, pages = walk(api, endpoint)
        out[name] = sorted(r["id"] for r in records)
        out[name + "_total"] = total
        out[name + "_pages"] = pages
        if name == "products":
            variable = [p for p in records if p["type"] == "variable"]
            out["variations"] = sorted(
                v["id"] for p in variable for v in walk(api, "products/%d/variations" % p["id"])[0]
            )
            out["variation_ids_listed"] = sorted(v for p in variable for v in p["variations"])

    recent, total, _ = walk(
        api, "orders", modified_after=cfg["modified_after"], dates_are_gmt="true", orderby="modified", order="asc"
    )
    out["incremental"] = [o["id"] for o in recent]
    out["incremental_modified_gmt"] = [o["date_modified_gmt"] for o in recent]
    out["incremental_total"] = total

    r = api.put("products/%d" % cfg["product_id"], {"regular_price": cfg["new_price"]})
    out["product_write"] = {"status": r.status_code, "regular_price": r.json().get("regular_price")}
    r = api.put("orders/%d" % cfg["order_id"], {"status": "completed"})
    out["order_write"] = {"status": r.status_code, "order_status": r.json().get("status")}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
