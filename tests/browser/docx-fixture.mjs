// A Word document built as Word writes one (WordprocessingML parts in a zip): a title and
// subtitle, headings, bold and italic runs, a link, a bulleted list, a numbered list citing a
// note, a quote, a table, three footnotes and PNG pictures (one unless asked for more). The
// browser tests drop it on the editor.
import JSZip from 'jszip';

const w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ' +
  'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ' +
  'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" ' +
  'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" ' +
  'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"';

const paragraph = (style, runs) =>
  `<w:p>${style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ''}${runs}</w:p>`;
const run = (text, props = '') =>
  `<w:r>${props ? `<w:rPr>${props}</w:rPr>` : ''}<w:t xml:space="preserve">${text}</w:t></w:r>`;
const noteMark = (id) =>
  `<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="${id}"/></w:r>`;
const listItem = (text, numId = 1, after = '') =>
  `<w:p><w:pPr><w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="${numId}"/></w:numPr></w:pPr>${run(text)}${after}</w:p>`;
const cell = (text) => `<w:tc>${paragraph('', run(text))}</w:tc>`;

// The document's pictures: the first a tanker with Word's alt text, the others numbered.
const picture = (n) => {
  const descr = n === 1 ? 'A tanker at the Suez canal' : `Picture ${n} of the port`;
  const id = n === 1 ? 'rIdImage' : `rIdImage${n}`;
  return `<w:r><w:drawing><wp:inline><wp:extent cx="952500" cy="952500"/>
  <wp:docPr id="${n}" name="Picture ${n}" descr="${descr}"/>
  <a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">
  <pic:pic><pic:nvPicPr><pic:cNvPr id="${n}" name="image${n}.png" descr="${descr}"/><pic:cNvPicPr/></pic:nvPicPr>
  <pic:blipFill><a:blip r:embed="${id}"/></pic:blipFill><pic:spPr/></pic:pic>
  </a:graphicData></a:graphic></wp:inline></w:drawing></w:r>`;
};
const numbers = (count) => Array.from({ length: count }, (_, i) => i + 1);

const documentXml = (pictures) => `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document ${w}><w:body>
${paragraph('Title', run('Shipping lanes under strain'))}
${paragraph('Subtitle', run('Why insurers are rerouting tankers'))}
${paragraph('Heading1', run('The numbers'))}
${paragraph('', run('Traffic fell by ') + run('a third', '<w:b/>') + run(' in ') + run('one month', '<w:i/>') +
  run('.') + noteMark(1))}
${paragraph('', run('See the ') +
  '<w:hyperlink r:id="rIdLink"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr><w:t>port authority data</w:t></w:r></w:hyperlink>' +
  run(' for details.') + noteMark(2))}
${paragraph('Heading2', run('What changed'))}
${listItem('Premiums rose')}
${listItem('Routes lengthened')}
${paragraph('', run('In order:'))}
${listItem('Insurers withdrew', 2, noteMark(3))}
${listItem('Owners followed', 2)}
${paragraph('Quote', run('We have never seen anything like it.'))}
<w:tbl><w:tr>${cell('Month')}${cell('Ships')}</w:tr><w:tr>${cell('June')}${cell('412')}</w:tr></w:tbl>
${numbers(pictures).map((n) => paragraph('', picture(n))).join('\n')}
<w:sectPr/></w:body></w:document>`;

const footnotesXml = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:footnotes ${w}>
<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>
<w:footnote w:id="1">${paragraph('FootnoteText', '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r>' + run(' Lloyd\'s List, June figures.'))}</w:footnote>
<w:footnote w:id="2">${paragraph('FootnoteText', '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r>' + run(' Published monthly.'))}</w:footnote>
<w:footnote w:id="3">${paragraph('FootnoteText', '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r>' + run(' A note cited inside a numbered list.'))}</w:footnote>
</w:footnotes>`;

const style = (type, id, name) =>
  `<w:style w:type="${type}" w:styleId="${id}"><w:name w:val="${name}"/></w:style>`;
const stylesXml = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles ${w}>${style('paragraph', 'Normal', 'Normal')}${style('paragraph', 'Title', 'Title')}
${style('paragraph', 'Subtitle', 'Subtitle')}${style('paragraph', 'Heading1', 'heading 1')}
${style('paragraph', 'Heading2', 'heading 2')}${style('paragraph', 'Quote', 'Quote')}
${style('paragraph', 'ListParagraph', 'List Paragraph')}${style('paragraph', 'FootnoteText', 'footnote text')}
${style('character', 'FootnoteReference', 'footnote reference')}${style('character', 'Hyperlink', 'Hyperlink')}
</w:styles>`;

const numberingXml = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering ${w}><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num></w:numbering>`;

const relationship = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const documentRels = (pictures) => `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rIdStyles" Type="${relationship}/styles" Target="styles.xml"/>
<Relationship Id="rIdNumbering" Type="${relationship}/numbering" Target="numbering.xml"/>
<Relationship Id="rIdFootnotes" Type="${relationship}/footnotes" Target="footnotes.xml"/>
${numbers(pictures).map((n) => `<Relationship Id="${n === 1 ? 'rIdImage' : `rIdImage${n}`}" Type="${relationship}/image" Target="media/image${n}.png"/>`).join('\n')}
<Relationship Id="rIdLink" Type="${relationship}/hyperlink" Target="https://example.org/port-data" TargetMode="External"/>
</Relationships>`;

const contentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Default Extension="png" ContentType="image/png"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>
<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>
<Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/>
</Types>`;

const packageRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="${relationship}/officeDocument" Target="word/document.xml"/>
</Relationships>`;

// A 2×2 red PNG.
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');

// The document's bytes, with `pictures` pictures at its end (one unless told).
export async function articleDocx({ pictures = 1 } = {}) {
  const zip = new JSZip();
  zip.file('[Content_Types].xml', contentTypes);
  zip.file('_rels/.rels', packageRels);
  zip.file('word/document.xml', documentXml(pictures));
  zip.file('word/_rels/document.xml.rels', documentRels(pictures));
  zip.file('word/styles.xml', stylesXml);
  zip.file('word/numbering.xml', numberingXml);
  zip.file('word/footnotes.xml', footnotesXml);
  for (const n of numbers(pictures)) zip.file(`word/media/image${n}.png`, png);
  return zip.generateAsync({ type: 'nodebuffer' });
}
