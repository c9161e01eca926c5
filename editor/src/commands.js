// What the writer's keys do: shortcuts (Ctrl/Cmd+B, I, K, …, as in Google Docs and WordPress)
// and Markdown typed as it would be in a plain-text editor ("## ", "> ", "- ", "**bold**").
import {
  InputRule,
  inputRules,
  wrappingInputRule,
  textblockTypeInputRule,
  undoInputRule,
} from 'prosemirror-inputrules';
import {
  toggleMark,
  setBlockType,
  wrapIn,
  chainCommands,
  exitCode,
  lift,
} from 'prosemirror-commands';
import { TextSelection } from 'prosemirror-state';
import { undo, redo } from 'prosemirror-history';
import { wrapInList, splitListItem, liftListItem, sinkListItem } from 'prosemirror-schema-list';
import { highestFootnoteNumber } from './markdown.js';

// Whether the selection's block is already of this type (and level), for toggling it back.
export function blockIs(state, type, attrs = {}) {
  const { $from, to } = state.selection;
  const parent = $from.parent;
  return to <= $from.end() && parent.type === type &&
    Object.entries(attrs).every(([name, value]) => parent.attrs[name] === value);
}

// A heading level, or back to a paragraph when the block is one already.
export function toggleHeading(schema, level) {
  return (state, dispatch) => {
    if (blockIs(state, schema.nodes.heading, { level }))
      return setBlockType(schema.nodes.paragraph)(state, dispatch);
    return setBlockType(schema.nodes.heading, { level })(state, dispatch);
  };
}

// Wraps the selection in a list of this type, or lifts it out when it is in one.
// Wraps the selection in a list of this type; lifts it out of one; or turns the list it is in
// (bulleted, numbered) into this type.
export function toggleList(schema, type) {
  const lists = [schema.nodes.bullet_list, schema.nodes.ordered_list];
  return (state, dispatch) => {
    const { $from } = state.selection;
    for (let depth = $from.depth; depth > 0; depth--) {
      const node = $from.node(depth);
      if (node.type === type) return liftListItem(schema.nodes.list_item)(state, dispatch);
      if (lists.includes(node.type)) {
        if (dispatch) {
          const attrs = type === schema.nodes.ordered_list ? { order: 1, tight: node.attrs.tight }
                                                           : { tight: node.attrs.tight };
          dispatch(state.tr.setNodeMarkup($from.before(depth), type, attrs));
        }
        return true;
      }
    }
    return wrapInList(type)(state, dispatch);
  };
}

// Backspace at the very start of a list item takes the item out of the list (as word
// processors do) instead of joining it to the item above.
export function liftAtItemStart(schema) {
  return (state, dispatch) => {
    const { $cursor } = state.selection;
    if (!$cursor || $cursor.parentOffset > 0 || $cursor.depth < 2) return false;
    const item = $cursor.node(-1);
    if (item.type !== schema.nodes.list_item || $cursor.index(-1) !== 0) return false;
    return liftListItem(schema.nodes.list_item)(state, dispatch);
  };
}

export function toggleQuote(schema) {
  return (state, dispatch) => {
    const { $from } = state.selection;
    for (let depth = $from.depth; depth > 0; depth--) {
      if ($from.node(depth).type === schema.nodes.blockquote) return lift(state, dispatch);
    }
    return wrapIn(schema.nodes.blockquote)(state, dispatch);
  };
}

// A divider, with the cursor in the paragraph after it (a new one if none follows), so that
// typing goes on below it instead of replacing it.
export function insertRule(schema) {
  return (state, dispatch) => {
    if (!dispatch) return true;
    const tr = state.tr.replaceSelectionWith(schema.nodes.horizontal_rule.create());
    dispatch(cursorAfter(tr, schema, tr.selection.to));  // the rule is left selected
    return true;
  };
}

// Puts the cursor in the textblock after position `after`, adding a paragraph if none is there.
function cursorAfter(tr, schema, after) {
  const $after = tr.doc.resolve(after);
  if (!$after.nodeAfter || !$after.nodeAfter.isTextblock) {
    tr.insert(after, schema.nodes.paragraph.create());
  }
  return tr.setSelection(TextSelection.near(tr.doc.resolve(after + 1))).scrollIntoView();
}

// A footnote: a numbered mark at the cursor and its text at the end, where the cursor goes.
export function insertFootnote(schema) {
  return (state, dispatch) => {
    if (!dispatch) return true;
    const label = String(highestFootnoteNumber(state.doc) + 1);
    let tr = state.tr.replaceSelectionWith(schema.nodes.footnote_ref.create({ label }), false);
    const end = tr.doc.content.size;
    tr = tr.insert(end, schema.nodes.footnote.create({ label }, schema.nodes.paragraph.create()));
    tr = tr.setSelection(TextSelection.near(tr.doc.resolve(end + 2))).scrollIntoView();
    dispatch(tr);
    return true;
  };
}


// `**text**`, `*text*`, `~~text~~`, `` `text` ``: the closing marker turns the text into that mark.
function markInputRule(pattern, markType) {
  return new InputRule(pattern, (state, match, start, end) => {
    const [whole, text] = match;
    const textStart = start + whole.indexOf(text);
    const textEnd = textStart + text.length;
    const tr = state.tr;
    if (textEnd < end) tr.delete(textEnd, end);
    if (textStart > start) tr.delete(start, textStart);
    const markEnd = start + text.length;
    tr.addMark(start, markEnd, markType.create());
    tr.removeStoredMark(markType);
    return tr;
  });
}

export function buildInputRules(schema) {
  const { nodes, marks } = schema;
  return inputRules({
    rules: [
      textblockTypeInputRule(/^(#{1,6})\s$/, nodes.heading, (match) => ({ level: match[1].length })),
      wrappingInputRule(/^\s*>\s$/, nodes.blockquote),
      wrappingInputRule(/^\s*([-+*])\s$/, nodes.bullet_list),
      // "1. " starts a numbered list; "1986. " is a year.
      wrappingInputRule(/^(\d{1,2})\.\s$/, nodes.ordered_list, (match) => ({ order: +match[1] }),
                        (match, node) => node.childCount + node.attrs.order === +match[1]),
      textblockTypeInputRule(/^```([a-z0-9-]*)\s$/, nodes.code_block, (match) => ({ params: match[1] })),
      // "---" alone on a line (the third dash typed into an otherwise empty paragraph).
      new InputRule(/^(?:--|\*\*|__)[-*_]$/, (state, match, start, end) => {
        const $start = state.doc.resolve(start);
        const alone = $start.parent.content.size === end - start;
        const inBlocks = $start.depth === 1 || $start.node(-1).type === nodes.blockquote;
        if (match[0][0] !== match[0][2] || !alone || !inBlocks) return null;
        const tr = state.tr.replaceRangeWith($start.before(), $start.after(), nodes.horizontal_rule.create());
        return cursorAfter(tr, schema, $start.before() + 1);
      }),
      markInputRule(/\*\*([^*\s](?:[^*]*[^*\s])?)\*\*$/, marks.strong),
      markInputRule(/(?<![_\w])__([^_\s](?:[^_]*[^_\s])?)__$/, marks.strong),
      markInputRule(/(?<![*\w])\*([^*\s](?:[^*]*[^*\s])?)\*$/, marks.em),
      markInputRule(/(?<![_\w])_([^_\s](?:[^_]*[^_\s])?)_(?<!__)$/, marks.em),
      markInputRule(/~~([^~\s](?:[^~]*[^~\s])?)~~$/, marks.strike),
      markInputRule(/`([^`]+)`$/, marks.code),
    ],
  });
}

export function buildKeymap(schema, { link }) {
  const { nodes, marks } = schema;
  const keys = {
    'Mod-z': undo,
    'Shift-Mod-z': redo,
    'Mod-y': redo,
    Backspace: chainCommands(undoInputRule, liftAtItemStart(schema)),
    // In a list, Tab indents and Shift+Tab outdents; elsewhere they move the focus as usual.
    Tab: sinkListItem(nodes.list_item),
    'Shift-Tab': liftListItem(nodes.list_item),
    'Mod-b': toggleMark(marks.strong),
    'Mod-i': toggleMark(marks.em),
    'Mod-`': toggleMark(marks.code),
    'Mod-Shift-x': toggleMark(marks.strike),
    'Mod-k': (state, dispatch) => { if (dispatch) link(); return true; },
    'Mod-Alt-0': setBlockType(nodes.paragraph),
    'Mod-Shift-7': toggleList(schema, nodes.ordered_list),
    'Mod-Shift-8': toggleList(schema, nodes.bullet_list),
    'Mod-Shift-9': toggleQuote(schema),
    Enter: splitListItem(nodes.list_item),
    'Mod-[': liftListItem(nodes.list_item),
    'Mod-]': sinkListItem(nodes.list_item),
    'Shift-Enter': chainCommands(exitCode, (state, dispatch) => {
      if (dispatch) dispatch(state.tr.replaceSelectionWith(nodes.hard_break.create()).scrollIntoView());
      return true;
    }),
  };
  for (let level = 1; level <= 6; level++) keys[`Mod-Alt-${level}`] = toggleHeading(schema, level);
  return keys;
}
