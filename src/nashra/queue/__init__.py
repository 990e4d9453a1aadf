"""The distributed mode (`[queue] backend = "procrastinate"`): a face, like `nashra.worker`.

The stages are the same; only who runs them changes. `nashra run` becomes the scheduler
(`scheduler.py`): APScheduler's triggers, built as in the inline worker, *queue* units of work
(`nashra.jobs.Unit`: a stage and its source, channel or digest) instead of running them; one
scheduler is active at a time (`leader.py`). `nashra worker` processes (`workers.py`) take the
units from the queue on any number of machines and run the stage functions (`task.py`). The queue
is procrastinate, in the PostgreSQL database that holds the ledgers (`app.py`).
"""
