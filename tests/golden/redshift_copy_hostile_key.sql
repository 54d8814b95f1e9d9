COPY staging_events
FROM 's3://udacity-dend/log_data/x\\''; DROP TABLE users; --
next\\\\.json'
IAM_ROLE 'arn:aws:iam::123456789012:role/sparkifyS3Read'
REGION 'us-west-2'
JSON 'auto'
COMPUPDATE OFF
STATUPDATE OFF;
