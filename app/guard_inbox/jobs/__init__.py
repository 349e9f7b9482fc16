"""Huey and Redis live here only: the broker, the queue, events and the consumer."""
