"""Goal planning: goals suggested for a course (by an LLM, or from the catalog), saved on acceptance."""
