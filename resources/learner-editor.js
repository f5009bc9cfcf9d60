// Shared by our nodes' editors. Node-RED serves a node package's resources/ folder, and each
// node's editor page loads this file from it (resources/@stream-ml/node-red/learner-editor.js)
// before its own script; the guard keeps one copy when the editor loads it for every node.
window.StreamMLEditor =
  window.StreamMLEditor ||
  (function () {
    'use strict';

    /**
     * The numeric settings of a node type, with their defaults and bounds: the table the runtime
     * checks at deploy, which the build writes into each node's page (lib/settings.ts).
     */
    function settingsOf(type) {
      return window.StreamMLSettings[type];
    }

    /** A message of a node type's catalog (`key` begins with the type), where RED._ does not look. */
    function t(key, vars) {
      var definition = RED.nodes.getType(key.split('.')[0]);
      return definition && definition._ ? definition._(key, vars) : RED._(key, vars);
    }

    /** "a whole number between 1 and 100", in the words of the runtime's error. */
    function allowedText(type, spec) {
      var kind = t(type + '.runtime.settings.' + (spec.integer ? 'aWholeNumber' : 'aNumber'));
      var key = spec.aboveMin ? 'aboveAtMost' : 'between';
      return kind + ' ' + t(type + '.runtime.settings.' + key, { min: spec.min, max: spec.max });
    }

    /**
     * A validator of the numeric setting `key` of `type` (blank is valid: the runtime's default);
     * an invalid value gets a message saying what is allowed. `key` may be a function of the node
     * giving the table's entry (a setting whose bounds depend on another), or null (not used).
     */
    function number(type, key) {
      return function (value, _opt) {
        var entry = typeof key === 'function' ? key(this) : key;
        if (!entry) return true;
        var spec = settingsOf(type)[entry];
        if (window.StreamMLSettings.allowed(spec, value)) return true;
        var name = entry.split('.')[0];
        return t(type + '.editor.number', {
          label: t(type + '.label.' + name),
          allowed: allowedText(type, spec),
          value: String(value),
        });
      };
    }

    /** The editor's default of a numeric setting, with its validator. */
    function numberDefault(type, key) {
      return { value: settingsOf(type)[key].value, validate: number(type, key) };
    }

    /**
     * Puts into each numeric field of the open form what blank means, from the table; the node's
     * placeholder text (`placeholder.<name>`, with __value__) when it has one.
     */
    function placeholders(node, table) {
      var type = node.type;
      Object.keys(table || settingsOf(type)).forEach(function (key) {
        var spec = settingsOf(type)[key];
        var name = key.split('.')[0];
        if (spec.blank === undefined) return;
        var id = type + '.placeholder.' + name;
        var text = node._(id, { value: spec.blank });
        $('#node-input-' + name).attr('placeholder', text === id ? String(spec.blank) : text);
      });
    }

    // Names no feature may have (lib/samples.ts FORBIDDEN_NAMES): they reach an object's
    // prototype or shadow one of its methods.
    var FORBIDDEN_NAMES = ['prototype'].concat(Object.getOwnPropertyNames(Object.prototype));

    // Blank settings are valid: the runtime gives each its default (flows written by hand, or
    // imported from an older version, may leave any of them out).
    function featureList(value) {
      var names = String(value || '')
        .split(',')
        .map(function (name) {
          return name.trim();
        })
        .filter(function (name) {
          return name.length > 0;
        });
      return (
        names.every(function (name) {
          return FORBIDDEN_NAMES.indexOf(name) === -1;
        }) && new Set(names).size === names.length
      );
    }

    /** Text that can be MQTT topic levels (`many`) or one level: no wildcards. */
    function topicLevel(many) {
      return function (value) {
        if (value === undefined || value === null || String(value).trim() === '') return true;
        var text = String(value).trim();
        if (/[+#]/.test(text)) return false;
        return many ? !/^\/|\/$|\/\//.test(text) : text.indexOf('/') === -1;
      };
    }

    function blank(value) {
      return value === undefined || value === null || String(value).trim() === '';
    }

    /**
     * A msg property typedInput, which may be left empty (empty: the runtime's default, or not
     * used). Without its own validator the editor checks the typedInput, which rejects an empty
     * expression, so a node opened and closed unchanged would turn invalid.
     */
    function optionalProperty(value, opt) {
      return blank(value) || RED.utils.validatePropertyExpression(String(value), opt);
    }

    /** Defaults of the settings every learner has; the runtime gives each the same default when blank. */
    function learnerDefaults(type) {
      return {
        name: { value: '' },
        property: { value: 'payload', validate: optionalProperty },
        features: { value: '', validate: featureList },
        keyProperty: { value: '', validate: optionalProperty },
        learning: { value: 'continuous' },
        warmupSamples: numberDefault(type, 'warmupSamples'),
        whileWarmingUp: { value: 'drop' },
        halfLife: numberDefault(type, 'halfLife'),
        maxKeys: numberDefault(type, 'maxKeys'),
        maxDimension: numberDefault(type, 'maxDimension'),
        store: { value: '' },
        instance: { value: '', validate: topicLevel(false) },
        shareEvery: numberDefault(type, 'shareEvery'),
        sharePrefix: { value: 'stream-ml/models', validate: topicLevel(true) },
        peerExpiry: numberDefault(type, 'peerExpiry'),
        receiveShares: { value: false },
      };
    }

    /** The credential every learner has: the fleet's shared secret that signs shares. */
    function learnerCredentials() {
      return { shareSecret: { type: 'password' } };
    }

    /** Sets up the shared form rows; call from oneditprepare. */
    function prepareLearner(node) {
      // A node the server has not seen yet comes without `has_shareSecret`: the editor would then
      // take the empty secret field for a change, and mark a node opened and closed as changed.
      var credentials = node.credentials || (node.credentials = {});
      if (credentials.has_shareSecret === undefined && !credentials.shareSecret) {
        credentials.has_shareSecret = false;
      }
      $('#node-input-property').typedInput({ default: 'msg', types: ['msg'] });
      $('#node-input-keyProperty').typedInput({ default: 'msg', types: ['msg'] });
      var context = RED.settings.context || {};
      // The default store is the first entry (blank); it is not listed again under its name.
      var stores = (context.stores || []).filter(function (store) {
        return store !== context.default;
      });
      var select = $('#node-input-store');
      select.append(
        $('<option></option>')
          .val('')
          .text(node._(node.type + '.store.default') + (context.default ? ' (' + context.default + ')' : '')),
      );
      stores.forEach(function (store) {
        select.append($('<option></option>').val(store).text(store));
      });
      if (node.store && stores.indexOf(node.store) === -1) {
        select.append($('<option></option>').val(node.store).text(node.store));
      }
      select.val(node.store || '');
      placeholders(node);
      var warmupRow = $('#node-input-whileWarmingUp').closest('.form-row');
      $('#node-input-learning')
        .on('change', function () {
          warmupRow.toggle($(this).val() !== 'off');
        })
        .trigger('change');
    }

    /** The palette label: the node's name, or `fallback` with the key property when set. */
    function label(node, fallback) {
      if (node.name) return node.name;
      return node.keyProperty ? fallback + ' per ' + node.keyProperty : fallback;
    }

    return {
      learnerDefaults: learnerDefaults,
      learnerCredentials: learnerCredentials,
      prepareLearner: prepareLearner,
      number: number,
      numberDefault: numberDefault,
      placeholders: placeholders,
      settingsOf: settingsOf,
      t: t,
      blank: blank,
      optionalProperty: optionalProperty,
      label: label,
      forbiddenNames: FORBIDDEN_NAMES,
    };
  })();
