"""A Facebook Page through the Graph API: a link post, or (`post_as = "photo"`) a photo post.

A link post sends the text as `message` and the article as `link`, from which Facebook draws its
own preview card, so the link is not repeated in the text. A photo post sends the article's
image URL (Facebook fetches it) with the text, link on its last line, as the caption; an article
without an image still goes out, as a link post. The limit is Facebook's 63,206 characters; the
summary is the article's lead, already short, and the template decides how much else is said.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nashra.model import Image, StoredArticle
from nashra.social.channels.graph import GraphChannel, GraphOptions
from nashra.social.counting import FACEBOOK_LIMIT, meta_length
from nashra.social.protocol import Post, Published

POST_URL = "https://www.facebook.com/{}"


class FacebookOptions(GraphOptions):
    page_id: str = Field(description="the Page's numeric id")
    access_token_env: str = "FACEBOOK_PAGE_TOKEN"
    post_as: Literal["link", "photo"] = Field(
        default="link", description="link: message + link preview; photo: the article's image + caption"
    )


class FacebookChannel(GraphChannel[FacebookOptions]):
    kind = "facebook"

    def limit(self, *, with_image: bool) -> int:
        return FACEBOOK_LIMIT

    def measure(self, text: str) -> int:
        return meta_length(text)

    def image_for(self, article: StoredArticle) -> Image | None:
        return super().image_for(article) if self.options.post_as == "photo" else None

    def link_in_text(self, *, with_image: bool) -> bool:
        return with_image  # a link post carries it as `link`

    def verify(self) -> str:
        return self.verify_node(
            self.options.page_id, "id,name", lambda page: f"Page {page.get('name')} ({page.get('id')})"
        )

    def publish(self, post: Post) -> Published:
        graph = self.graph()
        page = self.options.page_id
        if post.image is not None:
            photo = graph.post(f"{page}/photos", {"url": post.image.url, "caption": post.text})
            post_id = str(photo.get("post_id") or photo["id"])
        else:
            post_id = str(graph.post(f"{page}/feed", {"message": post.text, "link": post.url})["id"])
        return Published(remote_id=post_id, url=POST_URL.format(post_id))
