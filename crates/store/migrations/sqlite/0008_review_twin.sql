-- The digital twin scene (zhishen.twin/1 GLB blob) built with a review job's report, so
-- the viewer is served without rebuilding it. Null for a job done before twins existed
-- or whose twin could not be built: it is then built on first request.
ALTER TABLE review_job ADD COLUMN twin_sha256 TEXT;
