"""Qt item models over the read side (services.queries): ids up front, rows lazily."""
