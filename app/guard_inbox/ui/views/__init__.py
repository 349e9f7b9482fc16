"""Widgets that show models and turn user gestures into service calls."""
