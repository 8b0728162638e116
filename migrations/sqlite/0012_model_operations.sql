-- Model Operations: per model, what a connection may do to its records, one `model: op, op`
-- rule per line (read, create, write, delete, execute); empty means no narrowing.
ALTER TABLE connections ADD COLUMN model_operations TEXT NOT NULL DEFAULT '';
