"""Admin pages rendered as a frame kept per process, with the blocks that change per
request rendered into it (issue 13).

An admin page is mostly the same markup on every request: the document head, the
header around the user tools, the sidebar's place, the footer and the icons. Django
renders all of it through admin/base.html's node tree on every view (0.2–0.4 ms). A
`FramedTemplateResponse` renders its template once per process and frame key with each
per-request block (`BLOCKS`: the title, the user tools, the breadcrumbs, the sidebar, the
messages, the content and its titles) replaced by a hole, then on each request renders
only those blocks, exactly as the whole template would (the same context, context
processors and {{ block.super }} chain), and fills the holes.

The frame key holds everything else the frame shows: the template, the language, the
admin site's texts, whether it is a pop-up or has the sidebar, the user's permission to
the site, the time zone's current offset (`{% now "Z" %}`), the script prefix, and the
view's own `frame_key` (what its template's other blocks show, e.g. the model and the
form's media). A view whose template shows anything else outside those blocks must not
use it. With DEBUG on, the whole template is rendered every time.
"""

import re

from django.conf import settings
from django.core.signals import setting_changed
from django.template.context import make_context
from django.template.loader_tags import BLOCK_CONTEXT_KEY, BlockContext, ExtendsNode
from django.template.response import TemplateResponse
from django.test.signals import template_rendered
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import get_language

from ..template_blocks import root_blocks

BLOCKS = (
    "title",
    "usertools",
    "breadcrumbs",
    "nav-sidebar",
    "messages",
    "content_title",
    "content_subtitle",
    "content",
)
_HOLE = "\x00frame{}\x00"
_HOLES = re.compile("\x00frame(\\d+)\x00")
# A template extending the page's whose per-request blocks are holes.
_DERIVED_BLOCKS = "".join(
    "{% block " + name + " %}" + _HOLE.format(index) + "{% endblock %}" for index, name in enumerate(BLOCKS)
)

_frames = {}
_derived = {}
FRAMES_LIMIT = 1000


def _forget(**kwargs):
    _frames.clear()
    _derived.clear()


setting_changed.connect(_forget, dispatch_uid="core_admin_frame_forget")


def block_chain(template, context):
    """The {name: BlockNode} of `template` and each template it extends, child first, as
    ExtendsNode.render adds them to the block context. Kept on the compiled template when
    every parent is named by a constant (a compiled template never changes)."""
    chain = template.__dict__.get("_desk_block_chain")
    if chain is not None:
        return chain
    chain, constant, current = [], True, template
    while True:
        blocks = root_blocks(current)
        if blocks is not None:
            chain.append(blocks)
            break
        extends = next(node for node in current.nodelist if isinstance(node, ExtendsNode))
        chain.append(extends.blocks)
        constant = constant and not extends.parent_name.is_var
        current = extends.get_parent(context)
    if constant:
        template._desk_block_chain = chain
    return chain


def _frame(template, context):
    """The frame of `template` in `context`: its rendering with a hole per BLOCKS block
    that it shows, split into texts and the holes' indexes; None when a block's hole
    would not appear exactly once (then the page is rendered whole)."""
    derived = _derived.get(template.name)
    if derived is None:
        derived = _derived[template.name] = template.engine.from_string(
            "{% extends " + repr(template.name) + " %}" + _DERIVED_BLOCKS
        )
    with context.render_context.push_state(derived):
        parts = _HOLES.split(derived._render(context))
    holes = [int(part) for part in parts[1::2]]
    if len(holes) != len(set(holes)):
        return None
    return [part if position % 2 == 0 else int(part) for position, part in enumerate(parts)]


def render_framed(template, context_data, request, key):
    """`template` (a compiled django Template) rendered with `context_data` as
    Template.render() would, from its frame and its per-request blocks."""
    context = make_context(context_data, request, autoescape=template.engine.autoescape)
    with context.render_context.push_state(template), context.bind_template(template):
        context.template_name = template.name
        frame_key = (
            template.name,
            get_language(),
            key,
            bool(context.get("is_popup")),
            bool(context.get("is_nav_sidebar_enabled")),
            bool(context.get("has_permission")),
            getattr(context.get("user"), "is_anonymous", True),
            context.get("site_header"),
            context.get("site_title"),
            context.get("site_url"),
            date_format(timezone.localtime(), "Z"),
            get_script_prefix(),
        )
        parts = _frames.get(frame_key)
        if parts is None:
            parts = _frame(template, context)
            if parts is None:
                return template._render(context)
            if len(_frames) >= FRAMES_LIMIT:
                _frames.clear()
            _frames[frame_key] = parts
        # The test client reads the page's context from this signal (Template.render sends
        # it in tests); nothing listens in production.
        template_rendered.send(sender=template, template=template, context=context)
        block_context = BlockContext()
        with context.render_context.push_state(template):  # the parents found afresh
            chain = block_chain(template, context)
        for blocks in chain:
            block_context.add_blocks(blocks)
        context.render_context[BLOCK_CONTEXT_KEY] = block_context
        out = [parts[0]]
        for position in range(1, len(parts), 2):
            out.append(block_context.get_block(BLOCKS[parts[position]]).render(context))
            out.append(parts[position + 1])
        return "".join(out)


class FramedTemplateResponse(TemplateResponse):
    """A TemplateResponse rendered from its template's frame (`render_framed`) under
    `frame_key`, what the template shows outside BLOCKS besides the frame key's usual
    parts."""

    def __init__(self, request, template, context=None, *, frame_key, **kwargs):
        super().__init__(request, template, context, **kwargs)
        self.frame_key = frame_key

    @property
    def rendered_content(self):
        if settings.DEBUG:
            return super().rendered_content
        template = self.resolve_template(self.template_name)
        context = self.resolve_context(self.context_data)
        return render_framed(template.template, context, self._request, self.frame_key)


def frame(response, key):
    """Make the unrendered TemplateResponse `response` a FramedTemplateResponse under
    `key` (for views whose response Django makes, such as the changelist)."""
    response.__class__ = FramedTemplateResponse
    response.frame_key = key
    return response
