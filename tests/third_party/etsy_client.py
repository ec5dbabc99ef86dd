"""Drives the Etsy simulator with the `etsy-python` SDK (PyPI `etsy-python`), unchanged.

Run by tests/third_party_clients.rs with one JSON argument; prints one JSON object with
what the SDK saw. The SDK's hosts are constants of its own `Env` module (it has no
other setting for them): they are pointed at the simulator before the SDK is used. It
sends its keystring argument as `x-api-key`, so it is given Etsy's 2026 form,
`keystring:shared_secret`, as SDK users do.
"""

import json
import sys
from datetime import datetime, timedelta, timezone

from etsy_python.v3.common import Env

config = json.loads(sys.argv[1])
Env.environment.token_url = f"{config['origin']}/v3/public/oauth/token"
Env.environment.request_url = f"{config['origin']}/v3/application"

from etsy_python.v3.enums.Listing import Includes, State  # noqa: E402
from etsy_python.v3.enums.ShopReceipt import SortOn, SortOrder  # noqa: E402
from etsy_python.v3.models.Listing import UpdateListingInventoryRequest  # noqa: E402
from etsy_python.v3.models.Product import Product  # noqa: E402
from etsy_python.v3.models.Receipt import CreateReceiptShipmentRequest  # noqa: E402
from etsy_python.v3.resources.Listing import ListingResource  # noqa: E402
from etsy_python.v3.resources.ListingInventory import ListingInventoryResource  # noqa: E402
from etsy_python.v3.resources.Receipt import ReceiptResource  # noqa: E402
from etsy_python.v3.resources.Session import EtsyClient  # noqa: E402
from etsy_python.v3.resources.ShopSection import ShopSectionResource  # noqa: E402

shop = config["shop_id"]
client = EtsyClient(
    config["api_key"],
    config["access_token"],
    config["refresh_token"],
    datetime.now(timezone.utc) + timedelta(hours=1),
)
receipts = ReceiptResource(client)


def all_receipts(**filters):
    """Every receipt, 100 a page by offset, oldest first."""
    ids, offset = [], 0
    while True:
        page = receipts.get_shop_receipts(
            shop, limit=100, offset=offset, sort_on=SortOn.CREATED, sort_order=SortOrder.ASC, **filters
        ).message
        ids += [r["receipt_id"] for r in page["results"]]
        offset += len(page["results"])
        if not page["results"] or offset >= page["count"]:
            return ids


seen = {"receipts": all_receipts(), "incremental": all_receipts(min_last_modified=config["since"])}
one = receipts.get_shop_receipt(shop, seen["receipts"][0]).message
seen["receipt_total"] = one["grandtotal"]

listings = ListingResource(client)
listing_ids = []
for state in (State.ACTIVE, State.INACTIVE, State.SOLD_OUT, State.DRAFT, State.EXPIRED):
    offset = 0
    while True:
        page = listings.get_listings_by_shop(
            shop, state=state, limit=100, offset=offset, includes=[Includes.IMAGES, Includes.INVENTORY]
        ).message
        listing_ids += [l["listing_id"] for l in page["results"]]
        offset += len(page["results"])
        if not page["results"] or offset >= page["count"]:
            break
seen["listings"] = listing_ids

# Stock through the SDK's own updateListingInventory model: every product back, each
# offering's price as amount / divisor, the quantity set.
inventory = ListingInventoryResource(client)
lid = config["listing_id"]
current = inventory.get_listing_inventory(lid).message
products = [
    Product(
        sku=p["sku"],
        property_values=[
            {k: v[k] for k in ("property_id", "property_name", "scale_id", "value_ids", "values")}
            for v in p["property_values"]
        ],
        offerings=[
            {
                "price": o["price"]["amount"] / o["price"]["divisor"],
                "quantity": config["quantity"],
                "is_enabled": o["is_enabled"],
                "readiness_state_id": o["readiness_state_id"],
            }
            for o in p["offerings"]
        ],
    )
    for p in current["products"]
]
put = inventory.update_listing_inventory(
    lid,
    UpdateListingInventoryRequest(
        products,
        current["price_on_property"],
        current["quantity_on_property"],
        current["sku_on_property"],
        current["readiness_state_on_property"],
    ),
).message
seen["quantities"] = [p["offerings"][0]["quantity"] for p in put["products"]]

shipped = receipts.create_receipt_shipment(
    shop,
    config["receipt_id"],
    CreateReceiptShipmentRequest(tracking_code="1ZTHIRDPARTY", carrier_name="ups"),
).message
seen["shipment"] = shipped["shipments"][-1]
seen["sections"] = ShopSectionResource(client).get_shop_sections(shop).message["count"]
print(json.dumps(seen))
