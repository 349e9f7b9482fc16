"""Peewee lives here only; everything leaving this package is a domain object."""
