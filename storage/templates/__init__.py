"""Template documents: the spec records, parsing, the structural rules, import."""
