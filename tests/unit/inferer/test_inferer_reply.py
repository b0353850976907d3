"""The inferer always replies: an exception while predicting becomes an error reply."""
from services.inferer.handler import handle_infer
from shared.broker import Delivery
from shared.contracts import InferRequest


def test_the_inferer_replies_with_an_error_when_inference_blows_up():
    class BrokenModels:
        def get(self, user_id):
            raise RuntimeError("MongoDB went away")

    replies = []
    msg = InferRequest(user_id="u1", image_key="users/u1/uploads/a.jpg")
    handle_infer(msg, Delivery(0, True, reply_to="amq.rabbitmq.reply-to.x", correlation_id="c1"), store=None,
                 labeler=None, models=BrokenModels(), reply=lambda *a: replies.append(a))
    [(to, cid, answer)] = replies
    assert (to, cid, answer.ok, answer.error_code) == ("amq.rabbitmq.reply-to.x", "c1", False, "inference_failed")
