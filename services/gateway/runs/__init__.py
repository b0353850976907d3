"""Training runs: connecting Instagram (the posts a run learns from), starting, following and
cancelling runs, the model a run builds and the status of runs read cheaply."""
