"""python -m services.ingestor"""
from shared import db as dbmod, instagram_account, logs, messaging, progress as progressmod, topology
from shared.instagram import InstagramClient
from shared.secrets import TokenCipher
from shared.settings import load

from services.ingestor.handler import handle_train


def main() -> None:
    logs.setup("ingestor")
    settings = load()
    database = dbmod.database(settings)
    dbmod.ensure_indexes(database)
    progress = progressmod.Progress(progressmod.connect(settings.redis_url))
    instagram = InstagramClient(settings)
    cipher = TokenCipher(settings)
    publisher = messaging.Publisher(messaging.connect(settings, heartbeat=False), settings)

    def access_token(user: dict) -> str | None:
        return instagram_account.access_token(database, cipher, instagram, user)

    def handler(msg, delivery):
        handle_train(msg, delivery, db=database, progress=progress, list_media=lambda token: instagram.media(token, settings.instagram_page_size),
                     access_token=access_token, publish=publisher.publish)

    messaging.run_worker(topology.INGESTOR_TRAIN, handler, name="ingestor", settings=settings)


if __name__ == "__main__":
    main()
