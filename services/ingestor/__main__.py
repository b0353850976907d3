"""python -m services.ingestor"""
from services.ingestor.handler import handle_train
from shared import broker, service
from shared.broker import topology
from shared.instagram import InstagramClient
from shared.instagram import account as instagram_account
from shared.secrets import TokenCipher


def main() -> None:
    basics = service.start("ingestor")
    settings, database, progress = basics.settings, basics.db, basics.progress
    assert progress is not None  # start(redis=True), the default
    instagram = InstagramClient(settings)
    cipher = TokenCipher(settings)
    publisher = broker.Publisher.for_settings(settings)

    def access_token(user: dict) -> str | None:
        return instagram_account.access_token(database, cipher, instagram, user)

    def handler(msg, delivery):
        handle_train(
            msg,
            delivery,
            db=database,
            progress=progress,
            list_media=lambda token: instagram.media(token, settings.instagram_page_size),
            access_token=access_token,
            publish=publisher.publish,
            publish_many=publisher.publish_many,
            fetch_insights=instagram.media_insights if settings.instagram_insights else None,
            insights_batch=settings.instagram_insights_batch,
        )

    broker.run_worker(topology.INGESTOR_TRAIN, handler, name="ingestor", settings=settings)


if __name__ == "__main__":
    main()
