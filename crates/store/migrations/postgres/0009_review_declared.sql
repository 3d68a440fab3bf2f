-- The figures the application declares 申报指标 (GFA, 计容 area, height, storeys, base
-- area, main use) as the JSON object the review compares with the model's
-- (`zhishen_report::Declared`). Null when none were declared.
ALTER TABLE review_job ADD COLUMN declared TEXT;
