"""Threads through its Graph API (graph.threads.net): a text container, then publish.

Text posts of at most 500 characters as Threads counts them (emoji by their UTF-8 bytes). The link
stays on the text's last line, where it is clickable, and is also given as `link_attachment`,
which makes the preview card (Threads counts the same URL once towards its five links). Threads
turns one hashtag into the post's topic, so one at most is written.
"""

from __future__ import annotations

from pydantic import Field

from nashra.model import Image, StoredArticle
from nashra.social.channels.graph import ApiVersion, BaseUrl, ContainerChannel, ContainerOptions
from nashra.social.counting import THREADS_HASHTAGS, THREADS_LIMIT, meta_length
from nashra.social.protocol import Post, Published

THREADS_URL = "https://graph.threads.net"
THREADS_VERSION = "v1.0"


class ThreadsOptions(ContainerOptions):
    threads_user_id: str = Field(description="the Threads user id (GET /me?fields=id with the token)")
    access_token_env: str = "THREADS_ACCESS_TOKEN"
    api_version: ApiVersion = THREADS_VERSION
    base_url: BaseUrl = THREADS_URL
    link_attachment: bool = Field(default=True, description="a preview card of the article")


class ThreadsChannel(ContainerChannel[ThreadsOptions]):
    kind = "threads"
    hashtag_cap = THREADS_HASHTAGS
    container_edge = "threads"
    publish_edge = "threads_publish"
    status_fields = ("status", "error_message")

    def limit(self, *, with_image: bool) -> int:
        return THREADS_LIMIT

    def measure(self, text: str) -> int:
        return meta_length(text)

    def image_for(self, article: StoredArticle) -> Image | None:
        """Text posts: the link's preview card shows the article's image."""
        return None

    def account_id(self) -> str:
        return self.options.threads_user_id

    def verify(self) -> str:
        return self.verify_node(
            self.options.threads_user_id, "id,username", lambda user: f"@{user.get('username')}"
        )

    def publish(self, post: Post) -> Published:
        media = {"media_type": "TEXT", "text": post.text}
        if self.options.link_attachment:
            media["link_attachment"] = post.url
        return self.publish_container(media)
