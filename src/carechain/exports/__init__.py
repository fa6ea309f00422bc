"""Records leave the chain: FHIR R4 (UK Core) documents, NEMSIS 3.5.1, PDF with QR codes.

Every export reads a record's folded state (`Node.state`) and never re-scores it: the
NEWS2 total in every format is the one `state["scores"]["news2"]` holds.
"""
