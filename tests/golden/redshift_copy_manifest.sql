COPY staging_events
FROM 's3://udacity-dend/manifests/2018-11.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/sparkifyS3Read'
REGION 'us-west-2'
JSON 'auto'
MANIFEST
COMPUPDATE OFF
STATUPDATE OFF;
