"""gunicorn settings of the baseline that the command line cannot carry."""


def post_worker_init(worker):
    # The benchmark waits for this line from every worker before it sends load.
    worker.log.info("Worker ready (pid: %s)", worker.pid)
