"""Finding promo codes in decoded mail.

Layers (schema.org markup, text rules) each read one shared parsed document through
``layer.DocumentLayer``, and an optional AI layer looks last; ``pipeline.ExtractionPipeline``
runs them in order of trust behind the domain ``Extractor`` port, so callers depend on one
interface while the layers deepen independently.
"""
