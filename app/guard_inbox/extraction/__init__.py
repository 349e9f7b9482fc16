"""Finding promo codes in decoded mail.

Layers (schema.org markup, text rules, later an AI check) each implement the domain
``Extractor`` port; ``pipeline.ExtractionPipeline`` runs them in order of trust so callers
depend on one interface while the layers deepen independently.
"""
