"""Analyzers: each turns source text into normalized findings and facts for the criteria checks."""
