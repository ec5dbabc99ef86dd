{
  "order": {
    "id": 1001,
    "number": "1001",
    "status": "paid",
    "currency": "USD",
    "total": "27.50",
    "line_items": [
      { "id": 1, "sku": "MUG-1", "name": "Mug", "quantity": 2, "price": "11.25" }
    ],
    "created_at": "2025-01-02T03:04:05Z",
    "updated_at": "2025-01-03T00:00:00+02:00"
  }
}
