/**
 * Recognises image formats by their magic bytes. File names and MIME types are never consulted: n8n
 * binaries often carry `application/octet-stream`, and a failed download labelled `image/png` is an HTML page.
 */

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'gif' | 'avif' | 'heic' | 'bmp';

/** Formats we recognise but refuse, so the error can say how to convert them instead of "unknown". */
export type RefusedFormat = 'svg' | 'pdf';

export const IMAGE_FORMAT_NAMES: Readonly<Record<ImageFormat, string>> = {
	jpeg: 'JPEG',
	png: 'PNG',
	webp: 'WebP',
	tiff: 'TIFF',
	gif: 'GIF',
	avif: 'AVIF',
	heic: 'HEIC',
	bmp: 'BMP',
};

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** BITMAPCOREHEADER, BITMAPINFOHEADER, V2, V3, OS/2 2.x, V4, V5: "BM" alone is too weak (text can start with it). */
const BMP_DIB_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis']);
/** Generic HEIF brands: the codec is only told by the compatible brands. */
const GENERIC_HEIF_BRANDS = new Set(['mif1', 'msf1']);

/** Enough text to get past an XML prolog, comments and a DOCTYPE to the root element. */
const TEXT_SNIFF_BYTES = 4096;
/** PDF readers accept the header anywhere in the first kilobyte. */
const PDF_HEADER_WINDOW = 1024;

export function sniffImageFormat(buf: Buffer): ImageFormat | null {
	if (startsWith(buf, [0xff, 0xd8, 0xff])) return 'jpeg';
	if (startsWith(buf, PNG_SIGNATURE)) return 'png';
	if (ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 12) === 'WEBP') return 'webp';
	if (isTiff(buf)) return 'tiff';
	const gifSignature = ascii(buf, 0, 6);
	if (gifSignature === 'GIF87a' || gifSignature === 'GIF89a') return 'gif';
	if (ascii(buf, 4, 8) === 'ftyp') return sniffHeif(buf);
	if (ascii(buf, 0, 2) === 'BM' && buf.length >= 18 && BMP_DIB_HEADER_SIZES.has(buf.readUInt32LE(14))) return 'bmp';
	return null;
}

export function sniffRefusedFormat(buf: Buffer): RefusedFormat | null {
	if (buf.subarray(0, PDF_HEADER_WINDOW).includes('%PDF-')) return 'pdf';
	const text = leadingText(buf);
	if (text !== null && isSvg(text)) return 'svg';
	return null;
}

/**
 * Says what unrecognised input looks like, completing "The input …". Aimed at the usual accidents: an HTTP
 * request that returned an error page or JSON instead of the image, a video, or the wrong field's binary.
 */
export function describeUnrecognisedContent(buf: Buffer): string {
	if (ascii(buf, 4, 8) === 'ftyp') {
		return `is an ISO media file of brand '${ascii(buf, 8, 12).trim()}' (an MP4 video, for example), not a supported image`;
	}
	const text = leadingText(buf);
	if (text === null) return `is binary data starting with ${hexPreview(buf)}`;
	const start = text.trimStart().toLowerCase();
	if (start.startsWith('<!doctype html') || start.startsWith('<html')) return 'looks like an HTML page';
	if (start.startsWith('{') || start.startsWith('[')) return 'looks like JSON';
	return `looks like text: ${JSON.stringify(textPreview(text))}`;
}

function sniffHeif(buf: Buffer): ImageFormat | null {
	const majorBrand = ascii(buf, 8, 12);
	if (AVIF_BRANDS.has(majorBrand)) return 'avif';
	if (HEIC_BRANDS.has(majorBrand)) return 'heic';
	if (!GENERIC_HEIF_BRANDS.has(majorBrand)) return null;
	return compatibleBrands(buf).some((brand) => AVIF_BRANDS.has(brand)) ? 'avif' : 'heic';
}

/** The ftyp box is size, 'ftyp', major brand, minor version, then 4-byte compatible brands to its end. */
function compatibleBrands(buf: Buffer): string[] {
	const boxEnd = Math.min(buf.readUInt32BE(0), buf.length);
	const brands: string[] = [];
	for (let offset = 16; offset + 4 <= boxEnd; offset += 4) brands.push(ascii(buf, offset, offset + 4));
	return brands;
}

function isTiff(buf: Buffer): boolean {
	// Classic TIFF has version 42, BigTIFF 43, in the byte order the first two bytes announce.
	return (
		startsWith(buf, [0x49, 0x49, 0x2a, 0x00]) ||
		startsWith(buf, [0x4d, 0x4d, 0x00, 0x2a]) ||
		startsWith(buf, [0x49, 0x49, 0x2b, 0x00]) ||
		startsWith(buf, [0x4d, 0x4d, 0x00, 0x2b])
	);
}

function isSvg(text: string): boolean {
	const start = text.trimStart().toLowerCase();
	if (start.startsWith('<svg')) return true;
	const hasPreamble = start.startsWith('<?xml') || start.startsWith('<!--') || start.startsWith('<!doctype svg');
	return hasPreamble && /<svg[\s/>]/.test(start);
}

/** The start of the buffer as text, or null when it is binary (invalid UTF-8 or control characters). */
function leadingText(buf: Buffer): string | null {
	let text: string;
	try {
		// `stream` tolerates a multi-byte character cut off at the end of the window.
		text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, TEXT_SNIFF_BYTES), { stream: true });
	} catch {
		return null;
	}
	text = text.replace(/^\uFEFF/, '');
	// eslint-disable-next-line no-control-regex
	return /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text) ? null : text;
}

function textPreview(text: string): string {
	const collapsed = text.trim().replace(/\s+/g, ' ');
	return collapsed.length > 40 ? `${collapsed.slice(0, 40)}…` : collapsed;
}

function hexPreview(buf: Buffer): string {
	const hex = [...buf.subarray(0, 8)].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
	return buf.length > 8 ? `${hex} …` : hex;
}

function ascii(buf: Buffer, start: number, end: number): string {
	return buf.length >= end ? buf.toString('latin1', start, end) : '';
}

function startsWith(buf: Buffer, bytes: number[]): boolean {
	return buf.length >= bytes.length && bytes.every((byte, i) => buf[i] === byte);
}
