-- The stage a running review job is in (site, model, place, check, report), so any
-- server process can report progress while another process's worker runs it.
ALTER TABLE review_job ADD COLUMN stage TEXT;
