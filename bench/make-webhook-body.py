#!/usr/bin/env python3
"""Writes a realistic ~2 KB Stripe-like webhook JSON body to the file named on the command line."""
import json
import sys

event = {
    "id": "evt_1NG8Du2eZvKYlo2CUI79vXWy",
    "object": "event",
    "api_version": "2023-10-16",
    "created": 1700000000,
    "type": "payment_intent.succeeded",
    "livemode": False,
    "pending_webhooks": 1,
    "request": {"id": "req_9uYbkmTz2vF0Xh", "idempotency_key": "7c1d0f8e-62c5-4bb5-8f3a-3f0b3c0f9a11"},
    "data": {
        "object": {
            "id": "pi_3NG8Du2eZvKYlo2C0",
            "object": "payment_intent",
            "amount": 2000,
            "amount_received": 2000,
            "currency": "usd",
            "customer": "cus_OxYz12AbCdEf34",
            "description": "Order #6735",
            "payment_method": "pm_1NG8Dt2eZvKYlo2CsWzq1Qv7",
            "payment_method_types": ["card"],
            "receipt_email": "jenny.rosen@example.com",
            "status": "succeeded",
            "metadata": {"order": "6735", "note": "x" * 1200},
            "shipping": {
                "name": "Jenny Rosen",
                "address": {"line1": "510 Townsend St", "city": "San Francisco", "state": "CA",
                            "postal_code": "94103", "country": "US"},
            },
        }
    },
}
text = json.dumps(event)
target = 2048
event["data"]["object"]["metadata"]["note"] = "x" * (1200 + target - len(text))
with open(sys.argv[1], "w") as f:
    f.write(json.dumps(event))
