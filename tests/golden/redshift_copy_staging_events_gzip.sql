COPY staging_events
FROM 's3://udacity-dend/log_data'
IAM_ROLE 'arn:aws:iam::123456789012:role/sparkifyS3Read'
REGION 'us-west-2'
JSON 's3://udacity-dend/log_json_path.json'
GZIP
COMPUPDATE OFF
STATUPDATE OFF;
