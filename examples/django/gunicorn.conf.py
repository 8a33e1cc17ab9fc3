# gunicorn reads this file from its working directory. WORKERS comes from the
# secret, or from the task definition, which wins over the secret.
import os

bind = "0.0.0.0:" + os.environ.get("PORT", "8000")
workers = int(os.environ.get("WORKERS", "2"))
# Under a read-only root filesystem, /tmp is the writable mount.
worker_tmp_dir = "/tmp"
accesslog = "-"
