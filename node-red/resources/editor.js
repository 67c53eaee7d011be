/**
 * What the Cutout nodes' edit dialogs share (served by Node-RED at resources/node-red-contrib-cutout/editor.js):
 * the engine, provider, model and output rows with their settings, registration, and the dropdowns filled
 * from the runtime's core. Each node's .html includes this file and calls CutoutEditor.register once its own
 * template (the rows only that node has) is on the page; the file defines itself once.
 */
window.CutoutEditor =
	window.CutoutEditor ||
	(function () {
		'use strict';
		var choices;

		/** Models and providers, from the runtime's core (GET cutout/choices), fetched once per editor. */
		function loadChoices() {
			if (!choices) choices = $.getJSON('cutout/choices');
			return choices;
		}

		/** Shows the form row holding `field` only while `predicate()` holds; re-checked whenever `sources` change. */
		function showWhen(field, sources, predicate) {
			var row = $(field).closest('.form-row');
			var update = function () {
				row.toggle(Boolean(predicate()));
			};
			$(sources).on('change', update);
			update();
		}

		/** Fills a model <select>: a first option for the catalog's default (value ''), then every model by name. */
		function fillModels(select, models, current) {
			var fallback = models.find(function (model) {
				return model.isDefault;
			});
			select.empty();
			select.append(
				$('<option>')
					.val('')
					.text('Default' + (fallback ? ': ' + fallback.displayName : '')),
			);
			models.forEach(function (model) {
				select.append(
					$('<option>')
						.val(model.id)
						.text(model.displayName)
						.attr('title', model.description || ''),
				);
			});
			select.val(current || '');
		}

		/** A form row for the setting `name`; `local` rows show only for the local engine. */
		function row(name, icon, label, input, local) {
			var caption = '<label for="node-input-' + name + '"><i class="fa ' + icon + '"></i> ' + label + '</label>';
			return '<div class="' + (local ? 'form-row cutout-local' : 'form-row') + '">' + caption + input + '</div>';
		}

		/** PNG Effort, as on the n8n nodes: zlib level 1, 4 or 9 with row filters (README, Remove Background). */
		var PNG_EFFORTS = [
			['fast', 'Fast (files about 5 % larger)'],
			['balanced', 'Balanced'],
			['small', 'Small (2-3 % smaller, 3-5× the time)'],
		];

		function select(name, options) {
			var items = options.map(function (option) {
				return '<option value="' + option[0] + '">' + option[1] + '</option>';
			});
			return '<select id="node-input-' + name + '">' + items.join('') + '</select>';
		}

		/** The rows every Cutout node starts with: engine, provider (hosted), segmentation model and matte quality (local). */
		function engineRows(modelLabel) {
			var engines = [
				['local', 'Local (this machine)'],
				['hosted', 'Hosted API'],
			];
			var qualities = [
				['standard', 'Standard'],
				['high', 'High (more views, about twice the time)'],
				['speed', 'Speed (int8, ISNet General only)'],
			];
			return [
				row('engine', 'fa-microchip', 'Engine', select('engine', engines)),
				row(
					'provider',
					'fa-cloud',
					'Provider',
					'<input type="text" id="node-input-provider" /><div class="form-tips" id="cutout-providers-note"></div>',
				),
				row('model', 'fa-cube', modelLabel, '<select id="node-input-model" style="width: 70%"></select>', true),
				row('matteQuality', 'fa-sliders', 'Matte quality', select('matteQuality', qualities), true),
			].join('\n');
		}

		/** The rows every Cutout node ends with: the output format (quality for the lossy ones, effort for PNG), where the result goes, the name. */
		function outputRows(spec) {
			var rows = [row('format', 'fa-file-image-o', 'Format', select('format', spec.formats))];
			if (spec.qualityFormats) {
				rows.push(
					row('quality', 'fa-tachometer', 'Quality', '<input type="text" id="node-input-quality" placeholder="encoder default (1-100)" />'),
				);
			}
			if (spec.pngEffort) rows.push(row('pngEffort', 'fa-compress', 'PNG effort', select('pngEffort', PNG_EFFORTS)));
			rows.push(row('property', 'fa-sign-out', 'Output to', '<input type="text" id="node-input-property" />'));
			rows.push(row('name', 'fa-tag', 'Name', '<input type="text" id="node-input-name" />'));
			return rows.join('\n');
		}

		function commonDefaults(spec) {
			var defaults = {
				name: { value: '' },
				engine: { value: 'local' },
				provider: {
					value: '',
					type: 'cutout-provider',
					required: false,
					// Hosted engines need a provider config node; a local one needs none.
					validate: function (value) {
						var engine = $('#node-input-engine').length ? $('#node-input-engine').val() : this.engine;
						return engine !== 'hosted' || Boolean(value && value !== '_ADD_');
					},
				},
				model: { value: '' },
				matteQuality: { value: 'standard' },
				format: { value: spec.formats[0][0] },
				property: { value: 'payload', required: true },
			};
			if (spec.qualityFormats) defaults.quality = { value: '', validate: RED.validators.regex(/^$|^([1-9]\d?|100)$/) };
			if (spec.pngEffort) defaults.pngEffort = { value: 'balanced' };
			return defaults;
		}

		/** Toggles the local and hosted rows, names the providers offering `operation`, fills the model dropdowns. */
		function prepareEngine(node, operation) {
			var isHosted = function () {
				return $('#node-input-engine').val() === 'hosted';
			};
			showWhen('#node-input-provider', '#node-input-engine', isHosted);
			$('.cutout-local').each(function () {
				showWhen(this, '#node-input-engine', function () {
					return !isHosted();
				});
			});
			$('#node-input-property').typedInput({ default: 'msg', types: ['msg'] });
			loadChoices().then(function (loaded) {
				fillModels($('#node-input-model'), loaded.segmentationModels, node.model);
				if ($('#node-input-inpaintModel').length) fillModels($('#node-input-inpaintModel'), loaded.inpaintingModels, node.inpaintModel);
				var offering = loaded.providers.filter(function (provider) {
					return provider.operations.indexOf(operation) >= 0;
				});
				var names = offering.map(function (provider) {
					return provider.displayName;
				});
				$('#cutout-providers-note').text('Providers offering this: ' + names.join(', '));
			});
		}

		/**
		 * Registers a Cutout node: its template (already on the page) gains the shared rows around its own, its
		 * settings the shared ones. `spec`: operation, label, icon, modelLabel, formats ([value, label], the first
		 * the default), qualityFormats (those that take a quality), pngEffort (a PNG effort row), defaults, oneditprepare.
		 */
		function register(type, spec) {
			var template = $('script[data-template-name="' + type + '"]');
			template.html(engineRows(spec.modelLabel || 'Model') + template.html() + outputRows(spec));
			RED.nodes.registerType(type, {
				category: 'cutout',
				color: '#C7E9C0',
				defaults: $.extend(commonDefaults(spec), spec.defaults),
				inputs: 1,
				outputs: 1,
				icon: spec.icon,
				paletteLabel: spec.label,
				label: function () {
					return this.name || spec.label;
				},
				oneditprepare: function () {
					prepareEngine(this, spec.operation);
					if (spec.qualityFormats) {
						showWhen('#node-input-quality', '#node-input-format', function () {
							return spec.qualityFormats.indexOf($('#node-input-format').val()) >= 0;
						});
					}
					if (spec.pngEffort) {
						showWhen('#node-input-pngEffort', '#node-input-format', function () {
							return $('#node-input-format').val() === 'png';
						});
					}
					if (spec.oneditprepare) spec.oneditprepare.call(this);
				},
			});
		}

		return { loadChoices: loadChoices, showWhen: showWhen, register: register };
	})();
