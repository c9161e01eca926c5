// The Word converter, bundled on its own (assets/editor-docx.js) and loaded only when a writer
// imports a .docx, so the editor itself stays small. mammoth reads the document's structure
// (styles, lists, tables, footnotes, images as data: addresses) and writes plain HTML, which
// docx.js then gives to the same cleaner as a paste.
import mammoth from 'mammoth';

// Word's styles beyond mammoth's defaults (headings, lists, footnotes, strong): the document's
// title and subtitle are marked so that docx.js can make them the headline and the dek, and
// Word's quotation styles become quotes.
const styleMap = [
  "p[style-name='Title'] => h1.docx-title:fresh",
  "p[style-name='Subtitle'] => p.docx-subtitle:fresh",
  "p[style-name='Quote'] => blockquote > p:fresh",
  "p[style-name='Intense Quote'] => blockquote > p:fresh",
];

export async function convert(buffer) {
  const result = await mammoth.convertToHtml({ arrayBuffer: buffer }, { styleMap });
  return { html: result.value, messages: result.messages.map((message) => message.message) };
}
