"""Firm behaviour, one module per mechanism, each a function over the firm table for one step."""
