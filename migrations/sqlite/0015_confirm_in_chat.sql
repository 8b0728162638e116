-- Tools to confirm in chat: the person in the chat confirms the exact call when the client can
-- ask (MCP 2026-07-28 input_required); other clients file it for approval. One tool name a line.
ALTER TABLE connections ADD COLUMN confirm_tools TEXT NOT NULL DEFAULT '';
