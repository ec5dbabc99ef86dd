"""Drives the Lazada simulator with Lazada's official Python SDK (`lazop-sdk`, the
lazop-sdk-python-20181207 client), unchanged.

Run by tests/third_party_clients.rs with one JSON argument; prints one JSON object with
what the SDK saw. The SDK's `LazopClient` takes the API root as its server URL (the
simulator's `/rest`), signs every call with its own `sign` (API path + sorted
parameters, HMAC-SHA256, upper-case hex, plus its `partner_id` system parameter) and
POSTs the parameters as a form unless the request says GET: both are used here.
"""

import json
import sys

import lazop_sdk as lazop


def call(client, token, api, method="POST", **params):
    """The body of one call; an error code ends the script with it."""
    request = lazop.LazopRequest(api, method)
    for key, value in params.items():
        request.add_api_param(key, value)
    response = client.execute(request, token)
    if response.code != "0":
        print(json.dumps({"error": api, "code": response.code, "message": response.message}))
        sys.exit(1)
    return response.body


def code_of(client, token, api, method="GET", **params):
    """Only the answer's code (for calls expected to be refused)."""
    request = lazop.LazopRequest(api, method)
    for key, value in params.items():
        request.add_api_param(key, value)
    return client.execute(request, token).code


def walk(client, token, api, key, limit, method, **params):
    """Every record of an offset listing, page by page until a short page."""
    records, offset = [], 0
    while True:
        body = call(client, token, api, method, offset=offset, limit=limit, **params)
        page = body["data"][key]
        records.extend(page)
        if len(page) < limit:
            return records, body["data"]
        offset += limit


def main():
    cfg = json.loads(sys.argv[1])
    client = lazop.LazopClient(cfg["url"], cfg["app_key"], cfg["app_secret"])
    token = cfg["access_token"]
    out = {}

    orders, data = walk(
        client, token, "/orders/get", "orders", 50, "POST",
        update_after="2010-01-01T00:00:00+08:00", sort_by="updated_at", sort_direction="ASC",
    )
    out["orders"] = sorted(int(o["order_id"]) for o in orders)
    out["orders_total"] = int(data["countTotal"])
    recent, _ = walk(
        client, token, "/orders/get", "orders", 20, "GET",
        update_after=cfg["update_after"], sort_by="updated_at", sort_direction="ASC",
    )
    out["incremental"] = sorted(int(o["order_id"]) for o in recent)
    first = out["orders"][:3]
    items = call(client, token, "/orders/items/get", "GET", order_ids=json.dumps(first))["data"]
    out["items"] = {o["order_id"]: len(o["order_items"]) for o in items}

    products, data = walk(client, token, "/products/get", "products", 50, "GET", filter="all")
    out["products"] = sorted(int(p["item_id"]) for p in products)
    out["products_total"] = int(data["total_products"])
    tree = call(client, token, "/category/tree/get", "GET")["data"]

    def ids(nodes):
        for n in nodes:
            yield int(n["category_id"])
            yield from ids(n.get("children", []))

    out["categories"] = sorted(ids(tree))

    item, sku = cfg["item_id"], cfg["sku_id"]
    payload = (
        "<Request><Product><Skus><Sku><ItemId>%s</ItemId><SkuId>%s</SkuId>"
        "<Price>%s</Price><Quantity>%s</Quantity></Sku></Skus></Product></Request>"
        % (item, sku, cfg["new_price"], cfg["new_quantity"])
    )
    call(client, token, "/product/price_quantity/update", "POST", payload=payload)
    read = call(client, token, "/product/item/get", "GET", item_id=item)["data"]
    written = [s for s in read["skus"] if str(s["SkuId"]) == str(sku)][0]
    out["written"] = {"price": str(written["price"]), "quantity": written["quantity"]}

    # The token pair rotates once; the spent refresh token and the old access token
    # are refused afterwards.
    fresh = call(client, None, "/auth/token/refresh", "GET", refresh_token=cfg["refresh_token"])
    out["reused_refresh"] = code_of(client, None, "/auth/token/refresh", refresh_token=cfg["refresh_token"])
    out["old_token"] = code_of(client, token, "/order/get", order_id=first[0])
    out["new_token"] = code_of(client, fresh["access_token"], "/order/get", order_id=first[0])
    forged = lazop.LazopClient(cfg["url"], cfg["app_key"], cfg["app_secret"] + "x")
    out["forged"] = code_of(forged, fresh["access_token"], "/order/get", order_id=first[0])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
