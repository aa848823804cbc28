"""The blocks of a root template found once per compiled template, not on every render
(issue 13).

Django's `{% extends %}` (ExtendsNode.render) walks the whole node tree of the root
template (the one that extends nothing: base.html, admin/base.html) with
`get_nodes_by_type(BlockNode)` on every render, to hand its blocks to the block context:
0.1–0.2 ms per page for the admin's base, whose tree is large. A compiled template's
nodes never change after parsing, and the cached template loader (DEBUG off) reuses one
compiled template for every request, so the walk's result is kept on the template
object. With DEBUG on, templates are compiled anew for each request and so is this.

`install()` (core.apps) replaces ExtendsNode.render with the same method reading the kept
blocks; everything else it does is Django's.
"""

from django.template.base import TextNode
from django.template.loader_tags import BLOCK_CONTEXT_KEY, BlockContext, BlockNode, ExtendsNode

_NOT_ROOT = object()


def root_blocks(template):
    """{name: BlockNode} of `template` if it is a root template (its first non-text node
    is not an extends), else None; found once per compiled template."""
    blocks = template.__dict__.get("_desk_root_blocks")
    if blocks is None:
        blocks = _NOT_ROOT
        for node in template.nodelist:
            # The ExtendsNode has to be the first non-text node.
            if not isinstance(node, TextNode):
                if not isinstance(node, ExtendsNode):
                    blocks = {n.name: n for n in template.nodelist.get_nodes_by_type(BlockNode)}
                break
        template._desk_root_blocks = blocks
    return None if blocks is _NOT_ROOT else blocks


def render(self, context):
    """ExtendsNode.render (Django 5.2), the root's blocks from `root_blocks`."""
    compiled_parent = self.get_parent(context)

    if BLOCK_CONTEXT_KEY not in context.render_context:
        context.render_context[BLOCK_CONTEXT_KEY] = BlockContext()
    block_context = context.render_context[BLOCK_CONTEXT_KEY]

    # Add the block nodes from this node to the block context
    block_context.add_blocks(self.blocks)

    # If this block's parent doesn't have an extends node it is the root,
    # and its block nodes also need to be added to the block context.
    blocks = root_blocks(compiled_parent)
    if blocks is not None:
        block_context.add_blocks(blocks)

    # Call Template._render explicitly so the parser context stays
    # the same.
    with context.render_context.push_state(compiled_parent, isolated_context=False):
        return compiled_parent._render(context)


def install():
    ExtendsNode.render = render
