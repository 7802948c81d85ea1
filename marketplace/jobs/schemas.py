"""What ``GET /api/v1/jobs/<id>`` answers."""

from __future__ import annotations

from marshmallow import Schema, fields


class JobSchema(Schema):
    id = fields.Integer(metadata={"description": "The job's id."})
    kind = fields.String(metadata={"description": "What the job does, such as "
                                                  "notifications.deliver_outbox."})
    state = fields.String(metadata={"description": "queued, running, succeeded or failed."})
    progress = fields.Integer(metadata={"description": "How far it is, 0 to 100."})
    message = fields.String(metadata={"description": "What it is doing now."})
    attempts = fields.Integer(metadata={"description": "Tries so far."})
    max_attempts = fields.Integer(metadata={"description": "Tries before it is failed."})
    error = fields.String(metadata={"description": "The last try's error, if any."})
    done = fields.Boolean(metadata={"description": "True once it succeeded or failed."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
