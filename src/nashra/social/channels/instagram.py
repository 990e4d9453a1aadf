"""Instagram (a professional account) through the Graph API: an image container, then publish.

Every post needs an image, which Meta downloads from its URL (JPEG only): the article's own, else
a share card when the channel's context can draw one (nashra.social.cards publishes it under the
public folder). An article with neither is refused before anything is sent, saying so. Links in
a caption are not clickable: the link stays as text on the last line, or is left out with
`link_in_caption = false` (for an account that points to its profile link instead). Captions hold
2,200 characters and 30 hashtags.
"""

from __future__ import annotations

from pydantic import Field

from nashra.errors import DeliveryError
from nashra.model import Image, StoredArticle
from nashra.social.cards import image_or_card
from nashra.social.channels.graph import ContainerChannel, ContainerOptions
from nashra.social.counting import INSTAGRAM_CAPTION, INSTAGRAM_HASHTAGS, meta_length
from nashra.social.protocol import Post, Published

NEEDS_IMAGE = "Instagram needs an image: the article has none and no share card can be drawn"


class InstagramOptions(ContainerOptions):
    ig_user_id: str = Field(description="the Instagram professional account's id (not its @name)")
    access_token_env: str = "INSTAGRAM_ACCESS_TOKEN"
    link_in_caption: bool = Field(
        default=True, description="the link as the caption's last line (not clickable)"
    )
    card_preset: str = Field(
        default="instagram", description="share card preset for articles without an image"
    )


class InstagramChannel(ContainerChannel[InstagramOptions]):
    kind = "instagram"
    hashtag_cap = INSTAGRAM_HASHTAGS
    container_edge = "media"
    publish_edge = "media_publish"
    status_fields = ("status_code", "status")

    def limit(self, *, with_image: bool) -> int:
        return INSTAGRAM_CAPTION

    def measure(self, text: str) -> int:
        return meta_length(text)

    def image_for(self, article: StoredArticle) -> Image | None:
        """The article's image (unless `attach_image = false`), else a share card."""
        return image_or_card(
            self.context, article, use_article_image=self.config.attach_image, preset=self.options.card_preset
        )

    def link_in_text(self, *, with_image: bool) -> bool:
        return self.options.link_in_caption

    def account_id(self) -> str:
        return self.options.ig_user_id

    def validate(self, post: Post) -> list[str]:
        return super().validate(post) + ([NEEDS_IMAGE] if post.image is None else [])

    def verify(self) -> str:
        return self.verify_node(
            self.options.ig_user_id, "id,username", lambda user: f"@{user.get('username')}"
        )

    def publish(self, post: Post) -> Published:
        if post.image is None:  # `validate` keeps such a post from being claimed
            raise DeliveryError(NEEDS_IMAGE)
        return self.publish_container({"image_url": post.image.url, "caption": post.text})
