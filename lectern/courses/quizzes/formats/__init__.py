"""Question formats other platforms write: GIFT, Aiken, Moodle XML. Pure: no Flask, no database."""
